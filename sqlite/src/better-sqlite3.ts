/**
 * @module better-sqlite3 binding: for Node 20, which has no node:sqlite. An optional peer
 * dependency: installed (and compiled) only where it is needed, loaded only when chosen.
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { SqliteDatabase, SqliteStatement, SqliteValue } from './database.js'
import { transactionRunner } from './transactions.js'

interface BetterDatabase {
  prepare(sql: string): {
    run(...params: SqliteValue[]): { changes: number | bigint; lastInsertRowid: number | bigint }
    get(...params: SqliteValue[]): unknown
    all(...params: SqliteValue[]): unknown[]
  }
  exec(sql: string): void
  pragma(statement: string, options: { simple: true }): unknown
  close(): void
  readonly open: boolean
  readonly inTransaction: boolean
}
type BetterSqlite3 = new (
  path: string,
  options?: { nativeBinding?: string | object; readonly?: boolean },
) => BetterDatabase

const ADDON = 'better-sqlite3/build/Release/better_sqlite3.node'

/**
 * better-sqlite3 and its compiled addon, resolved from this file, or `undefined` when it is not
 * installed. The addon is handed to `new Database` directly: left to itself better-sqlite3 finds
 * it through `bindings`, which tries a dozen paths at every start (~1.3 ms of a cold start) and
 * fails when better-sqlite3's JavaScript runs from a bundle.
 */
export function loadBetterSqlite3(
  from: string = import.meta.url,
):
  | { readonly Database: BetterSqlite3; readonly nativeBinding: string | object | undefined }
  | undefined {
  const require = createRequire(from)
  let Database: BetterSqlite3
  try {
    Database = require('better-sqlite3') as BetterSqlite3
  } catch {
    return undefined
  }
  return { Database, nativeBinding: findAddon(require) }
}

function findAddon(require: NodeRequire): string | object | undefined {
  try {
    return require.resolve(ADDON)
  } catch {
    // not where node-gyp and prebuild-install put it: `bindings`' search, from its package
  }
  try {
    const root = dirname(require.resolve('better-sqlite3/package.json'))
    const bindings = createRequire(`${root}/package.json`)('bindings') as (options: {
      bindings: string
      module_root: string
    }) => object
    return bindings({ bindings: 'better_sqlite3.node', module_root: root })
  } catch {
    return undefined
  }
}

/** Opens `path` with better-sqlite3. */
export function openBetterSqlite3(
  lib: NonNullable<ReturnType<typeof loadBetterSqlite3>>,
  path: string,
  readOnly = false,
): SqliteDatabase {
  const db = new lib.Database(path, {
    readonly: readOnly,
    ...(lib.nativeBinding === undefined ? {} : { nativeBinding: lib.nativeBinding }),
  })
  const transaction = transactionRunner({
    exec: (sql) => db.exec(sql),
    inTransaction: () => db.inTransaction,
  })
  return {
    binding: 'better-sqlite3',
    get open() {
      return db.open
    },
    prepare<P extends readonly unknown[], R>(sql: string): SqliteStatement<P, R> {
      return db.prepare(sql) as unknown as SqliteStatement<P, R>
    },
    exec: (sql) => db.exec(sql),
    pragma: (statement) => db.pragma(statement, { simple: true }),
    transaction,
    close() {
      if (db.open) db.close()
    },
  }
}
