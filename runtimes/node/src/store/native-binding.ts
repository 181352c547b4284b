/**
 * @module native binding: better-sqlite3's compiled addon, handed to `new Database`. Left to
 * itself, better-sqlite3 looks for it through the `bindings` package, which walks up from its
 * caller's file to a package root and tries a dozen candidate paths at every start (~1.3 ms of a
 * cold start). In runtime-node's bundle, where better-sqlite3's JavaScript is inlined
 * (scripts/bundle-dist.mjs), that caller is the bundle, whose package has no addon, so that
 * search would fail. The addon is resolved here like any module file, at the place node-gyp and
 * prebuild-install put it; installed elsewhere, it is looked up by `bindings` from
 * better-sqlite3's own package root, as better-sqlite3 would.
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'

const ADDON = 'better-sqlite3/build/Release/better_sqlite3.node'

/** A path, or the loaded addon; `undefined` leaves the lookup to better-sqlite3. */
export type SqliteNativeBinding = string | object | undefined

let found: { readonly binding: SqliteNativeBinding } | undefined

/** The addon as a package resolved from `from` (a file URL or path) sees it. */
export function findSqliteAddon(from: string): SqliteNativeBinding {
  const require = createRequire(from)
  try {
    return require.resolve(ADDON)
  } catch {
    // not at the standard place: `bindings`' search, from the package it belongs to
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

/** better-sqlite3's addon for `new Database(path, { nativeBinding })`, looked up once. */
export function sqliteNativeBinding(): SqliteNativeBinding {
  found ??= { binding: findSqliteAddon(import.meta.url) }
  return found.binding
}
