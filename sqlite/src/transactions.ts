/**
 * @module transactions: BEGIN/COMMIT at the outside, SAVEPOINTs inside, over prepared
 * statements, for both bindings (better-sqlite3's own `transaction()` builds a wrapper per call).
 */
export interface TransactionStatements {
  exec(sql: string): void
  /** Whether SQLite has a transaction open; after a failed COMMIT it may or may not. */
  inTransaction(): boolean
}

/** A `transaction(fn)` for one connection. */
export function transactionRunner(db: TransactionStatements): <T>(fn: () => T) => T {
  let depth = 0
  return <T>(fn: () => T): T => {
    const savepoint = depth > 0 ? `"astarte_ts_${depth}"` : undefined
    db.exec(savepoint === undefined ? 'BEGIN' : `SAVEPOINT ${savepoint}`)
    depth++
    let result: T
    try {
      result = fn()
      db.exec(savepoint === undefined ? 'COMMIT' : `RELEASE ${savepoint}`)
    } catch (e) {
      // SQLite rolls some failures (a full disk at COMMIT) back by itself
      if (db.inTransaction()) {
        if (savepoint === undefined) {
          db.exec('ROLLBACK')
        } else {
          db.exec(`ROLLBACK TO ${savepoint}`)
          db.exec(`RELEASE ${savepoint}`)
        }
      }
      throw e
    } finally {
      depth--
    }
    return result
  }
}
