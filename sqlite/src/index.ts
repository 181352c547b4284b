/**
 * @module @astarte-ts/sqlite: one synchronous SQLite API over node:sqlite (Node 22.13 and later:
 * nothing to compile at install) and better-sqlite3 (Node 20), for the device store and the
 * sandbox.
 */
export type { SqliteBindingName, SqliteDatabase, SqliteStatement, SqliteValue } from './database.js'
export { sqliteErrorCode } from './errors.js'
export type { OpenSqliteOptions } from './open.js'
export { SqliteBindingError, availableSqliteBindings, openSqlite } from './open.js'
