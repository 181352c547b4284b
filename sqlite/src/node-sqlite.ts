/**
 * @module node:sqlite binding: Node's built-in SQLite (unflagged from Node 22.13), so a Node
 * that has it needs no native addon compiled at install.
 */
import type { SqliteDatabase, SqliteStatement, SqliteValue } from './database.js'
import { transactionRunner } from './transactions.js'

/** The part of node:sqlite's `DatabaseSync` used here (@types/node 20 does not describe it). */
interface DatabaseSync {
  prepare(sql: string): {
    run(...params: SqliteValue[]): { changes: number | bigint; lastInsertRowid: number | bigint }
    get(...params: SqliteValue[]): unknown
    all(...params: SqliteValue[]): unknown[]
  }
  exec(sql: string): void
  close(): void
  readonly isOpen?: boolean
  readonly isTransaction?: boolean
}

export interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => DatabaseSync
}

/**
 * node:sqlite when this Node has it unflagged, else `undefined`. Loading it prints Node's
 * "SQLite is an experimental feature" warning once per process; that one warning is held back,
 * since the runtime, not its user, chose the binding.
 */
export function loadNodeSqlite(): NodeSqliteModule | undefined {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  if (typeof getBuiltin !== 'function') return undefined
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message
    if (/SQLite is an experimental feature/.test(text)) return
    ;(emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest)
  }) as typeof process.emitWarning
  try {
    const mod = getBuiltin.call(process, 'node:sqlite') as NodeSqliteModule | undefined
    return typeof mod?.DatabaseSync === 'function' ? mod : undefined
  } catch {
    // Node 22.5 to 22.12: node:sqlite exists behind --experimental-sqlite only
    return undefined
  } finally {
    process.emitWarning = emitWarning
  }
}

/** Opens `path` with node:sqlite. */
export function openNodeSqlite(
  mod: NodeSqliteModule,
  path: string,
  readOnly = false,
): SqliteDatabase {
  const db = new mod.DatabaseSync(path, { readOnly })
  let open = true
  const exec = (sql: string): void => db.exec(sql)
  const inTransaction = (): boolean => {
    if (typeof db.isTransaction === 'boolean') return db.isTransaction
    // before Node 22.16 there is no isTransaction: a ROLLBACK outside one fails harmlessly
    return true
  }
  const transaction = transactionRunner({
    exec: (sql) => {
      try {
        exec(sql)
      } catch (e) {
        if (/^ROLLBACK/.test(sql) && /no transaction is active/.test(String(e))) return
        throw e
      }
    },
    inTransaction,
  })
  return {
    binding: 'node:sqlite',
    get open() {
      return open && db.isOpen !== false
    },
    prepare<P extends readonly unknown[], R>(sql: string): SqliteStatement<P, R> {
      return db.prepare(sql) as unknown as SqliteStatement<P, R>
    },
    exec,
    pragma(statement) {
      const row = db.prepare(`PRAGMA ${statement}`).get() as Record<string, unknown> | undefined
      return row === undefined ? undefined : Object.values(row)[0]
    },
    transaction,
    close() {
      if (!open) return
      open = false
      db.close()
    },
  }
}
