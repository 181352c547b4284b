/**
 * @module sqlite database: the synchronous SQLite API the stores are written against, the same
 * over both bindings. It is the part of better-sqlite3's API that node:sqlite also has, plus
 * `pragma` and a `transaction` that nests, which the stores need.
 */

/** Which library talks to SQLite. */
export type SqliteBindingName = 'node:sqlite' | 'better-sqlite3'

/** A value SQLite binds: numbers, strings, BLOBs, NULL. */
export type SqliteValue = number | bigint | string | Uint8Array | null

/**
 * A prepared statement with parameters `P` (positional values, or one object of named ones for
 * `@name` placeholders), returning rows of type `R`.
 */
export interface SqliteStatement<P extends readonly unknown[] = unknown[], R = unknown> {
  run(...params: P): {
    readonly changes: number | bigint
    readonly lastInsertRowid: number | bigint
  }
  get(...params: P): R | undefined
  all(...params: P): R[]
}

export interface SqliteDatabase {
  readonly binding: SqliteBindingName
  /** False once closed. */
  readonly open: boolean
  prepare<P extends readonly unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R>
  /** Runs SQL without results (several statements allowed). */
  exec(sql: string): void
  /**
   * Runs `PRAGMA <statement>` and returns the first column of its first row (`undefined` when
   * the pragma returns none): `pragma('page_size')`, `pragma('journal_mode = WAL')`.
   */
  pragma(statement: string): unknown
  /**
   * Runs `fn` in a transaction, a savepoint inside another one: committed when `fn` returns,
   * rolled back when it throws or the commit fails (then the error is rethrown as it is).
   */
  transaction<T>(fn: () => T): T
  close(): void
}
