/**
 * @module sqlite errors: both bindings' failures by SQLite's own name. better-sqlite3 throws
 * `SqliteError` with `code` `SQLITE_FULL`; node:sqlite throws an `Error` with `code`
 * `ERR_SQLITE_ERROR` and the numeric (extended) result code in `errcode`.
 */

/** SQLite's primary result codes by number (sqlite.org/rescode.html). */
const PRIMARY: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  24: 'SQLITE_FORMAT',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
}

/**
 * The SQLite result code of a failure as `SQLITE_<NAME>` (the primary code: `SQLITE_IOERR`,
 * not `SQLITE_IOERR_WRITE`), or `undefined` when `e` is not a SQLite failure.
 */
export function sqliteErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined
  const { code, errcode } = e as { code?: unknown; errcode?: unknown }
  if (typeof errcode === 'number') return PRIMARY[errcode & 0xff] ?? `SQLITE_${errcode & 0xff}`
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined
  const primary = Object.values(PRIMARY).find((p) => code === p || code.startsWith(`${p}_`))
  return primary ?? code
}
