/** The SQLite addon is found without better-sqlite3's own lookup, which the bundle can't use. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { findSqliteAddon, sqliteNativeBinding } from '../../src/store/native-binding.js'
import { openSqliteStore } from '../../src/store/sqlite-store.js'

test('the addon resolves to the file npm installed, and a store opens with it', (t) => {
  const addon = sqliteNativeBinding()
  assert.ok(typeof addon === 'string' && addon.endsWith('better_sqlite3.node'), String(addon))
  assert.ok(existsSync(addon))
  const dir = mkdtempSync(join(tmpdir(), 'astarte-native-binding-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const store = openSqliteStore({ path: join(dir, 'device.sqlite') })
  t.after(() => store.close())
  store.meta.set('k', 'v')
  assert.equal(store.meta.get('k'), 'v')
})

test('an addon installed elsewhere is found by bindings from better-sqlite3 own root', (t) => {
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
  const fileUri = dirname(createRequire(join(bindings, 'package.json')).resolve('file-uri-to-path'))
  cpSync(fileUri, join(root, 'node_modules', 'file-uri-to-path'), { recursive: true })
  const addon = findSqliteAddon(join(root, 'app.js'))
  assert.equal(typeof addon, 'object')
  assert.equal(typeof (addon as { Database?: unknown }).Database, 'function')
})
