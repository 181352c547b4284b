/**
 * @module memory store faults: when a `MemoryStore`'s writes and commits fail, chosen by a test,
 * as a full disk or an I/O error would make a SQLite store's fail: with the same raw error
 * (`SQLITE_FULL`, "database or disk is full"), and with a failed commit rolling the whole
 * transaction back, rolled-back queue ids included.
 */

/** The error SQLite raises on a full disk (better-sqlite3's `SqliteError` carries the code). */
export function diskFullError(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
}

export class StoreFaults {
  /**
   * The disk is full: every commit fails, and so does every write made outside a transaction
   * (SQLite writes a transaction's pages at its commit).
   */
  full = false
  /** Transactions committed, and failed, so far. */
  commits = 0
  failedCommits = 0
  #commitsToFail = 0
  #writesToFail = 0

  /** The commits of the next `count` transactions fail. */
  failCommits(count = 1): void {
    this.#commitsToFail += count
  }

  /** The next `count` writes fail as they are made, as a statement does when the cache spills. */
  failWrites(count = 1): void {
    this.#writesToFail += count
  }

  /** A write is about to be made (inside a transaction or not); throws when it fails. */
  write(inTransaction: boolean): void {
    if (this.#writesToFail > 0) {
      this.#writesToFail--
      throw diskFullError()
    }
    if (this.full && !inTransaction) throw diskFullError()
  }

  /** A transaction is about to commit; throws when its commit fails. */
  commit(): void {
    if (this.full || this.#commitsToFail > 0) {
      if (this.#commitsToFail > 0) this.#commitsToFail--
      this.failedCommits++
      throw diskFullError()
    }
    this.commits++
  }
}
