/**
 * @module open: picks the binding. node:sqlite where Node has it unflagged (22.13 and later),
 * else better-sqlite3 (Node 20, where it must be installed); `ASTARTE_SQLITE_BINDING` or the
 * `binding` option choose one explicitly.
 */
import type { SqliteBindingName, SqliteDatabase } from './database.js'
import { loadBetterSqlite3, openBetterSqlite3 } from './better-sqlite3.js'
import { loadNodeSqlite, openNodeSqlite, type NodeSqliteModule } from './node-sqlite.js'

/** Why no database could be opened: no binding, or the one asked for is missing. */
export class SqliteBindingError extends Error {
  readonly code = 'local.sqlite_unavailable'
  override readonly name = 'SqliteBindingError'
}

let nodeSqlite: { readonly mod: NodeSqliteModule | undefined } | undefined
let betterSqlite: { readonly lib: ReturnType<typeof loadBetterSqlite3> } | undefined

const nodeSqliteModule = (): NodeSqliteModule | undefined =>
  (nodeSqlite ??= { mod: loadNodeSqlite() }).mod
const betterSqlite3 = (): ReturnType<typeof loadBetterSqlite3> =>
  (betterSqlite ??= { lib: loadBetterSqlite3() }).lib

/** The bindings this process can use, preferred first. */
export function availableSqliteBindings(): SqliteBindingName[] {
  const found: SqliteBindingName[] = []
  if (nodeSqliteModule() !== undefined) found.push('node:sqlite')
  if (betterSqlite3() !== undefined) found.push('better-sqlite3')
  return found
}

export interface OpenSqliteOptions {
  /** Default: `ASTARTE_SQLITE_BINDING` when set, else the first of `availableSqliteBindings()`. */
  readonly binding?: SqliteBindingName
  /** Open the file read-only (it must exist). Default false. */
  readonly readOnly?: boolean
}

/**
 * Opens (creating it when missing) the database file at `path`. Throws `SqliteBindingError`
 * when no binding is available, and the binding's own error when the file can't be opened.
 */
export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const wanted = options.binding ?? chosenByEnvironment()
  if (wanted !== 'better-sqlite3') {
    const mod = nodeSqliteModule()
    if (mod !== undefined) return openNodeSqlite(mod, path, options.readOnly === true)
    if (wanted === 'node:sqlite') {
      throw new SqliteBindingError(
        `node:sqlite is not available on Node ${process.versions.node} (it is from Node 22.13)`,
      )
    }
  }
  const lib = betterSqlite3()
  if (lib !== undefined) return openBetterSqlite3(lib, path, options.readOnly === true)
  throw new SqliteBindingError(
    `no SQLite binding on Node ${process.versions.node}: install better-sqlite3 ` +
      '(npm install better-sqlite3), or use Node 22.13 or later, which has node:sqlite',
  )
}

function chosenByEnvironment(): SqliteBindingName | undefined {
  const value = process.env['ASTARTE_SQLITE_BINDING']
  if (value === undefined || value === '') return undefined
  if (value === 'node:sqlite' || value === 'better-sqlite3') return value
  throw new SqliteBindingError(
    `ASTARTE_SQLITE_BINDING is '${value}'; it may be 'node:sqlite' or 'better-sqlite3'`,
  )
}
