/**
 * better-sqlite3 (Node 20): its addon is found without better-sqlite3's own lookup, which a
 * bundle can't use. Skipped where better-sqlite3 can't load (a Node that uses node:sqlite and
 * installed no addon for itself).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { loadBetterSqlite3, openBetterSqlite3 } from '../src/better-sqlite3.js'

const lib = loadBetterSqlite3()
const usable = ((): string | false => {
  if (lib === undefined) return 'better-sqlite3 is not installed'
  try {
    openBetterSqlite3(lib, ':memory:').close()
    return false
  } catch (e) {
    return `better-sqlite3's addon does not load on Node ${process.versions.node}: ${String(e).split('\n')[0]}`
  }
})()

test(
  'the addon resolves to the file npm installed, and a database opens with it',
  { skip: usable },
  (t) => {
    const addon = lib?.nativeBinding
    assert.ok(typeof addon === 'string' && addon.endsWith('better_sqlite3.node'), String(addon))
    assert.ok(existsSync(addon))
    const dir = mkdtempSync(join(tmpdir(), 'astarte-native-binding-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const db = openBetterSqlite3(lib!, join(dir, 'device.sqlite'))
    t.after(() => db.close())
    db.exec('CREATE TABLE t (k TEXT, v TEXT)')
    db.prepare<[string, string]>('INSERT INTO t VALUES (?, ?)').run('k', 'v')
    assert.deepEqual({ ...db.prepare<[], object>('SELECT * FROM t').get() }, { k: 'k', v: 'v' })
  },
)

test(
  'an addon installed elsewhere is found by bindings from better-sqlite3 own root',
  { skip: usable },
  (t) => {
    // a package tree whose better-sqlite3 keeps its addon in out/Release, one of bindings' places
    const root = mkdtempSync(join(tmpdir(), 'astarte-native-elsewhere-'))
    t.after(() => rmSync(root, { recursive: true, force: true }))
    const installed = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'))
    const pkg = join(root, 'node_modules', 'better-sqlite3')
    mkdirSync(join(pkg, 'out', 'Release'), { recursive: true })
    copyFileSync(join(installed, 'package.json'), join(pkg, 'package.json'))
    copyFileSync(
      join(installed, 'build', 'Release', 'better_sqlite3.node'),
      join(pkg, 'out', 'Release', 'better_sqlite3.node'),
    )
    const bindings = dirname(createRequire(join(installed, 'package.json')).resolve('bindings'))
    cpSync(bindings, join(root, 'node_modules', 'bindings'), { recursive: true })
    const fileUri = dirname(
      createRequire(join(bindings, 'package.json')).resolve('file-uri-to-path'),
    )
    cpSync(fileUri, join(root, 'node_modules', 'file-uri-to-path'), { recursive: true })
    // the JavaScript is this install's; the addon is looked up from the other tree
    copyFileSync(join(installed, 'package.json'), join(pkg, 'package.json'))
    cpSync(join(installed, 'lib'), join(pkg, 'lib'), { recursive: true })
    const addon = loadBetterSqlite3(join(root, 'app.js'))?.nativeBinding
    assert.equal(typeof addon, 'object')
    assert.equal(typeof (addon as { Database?: unknown }).Database, 'function')
  },
)
