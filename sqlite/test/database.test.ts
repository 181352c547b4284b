/**
 * The one SQLite API on every binding this Node can load (better-sqlite3 on Node 20, node:sqlite
 * from 22.13; CI runs this file on both): values round-trip, transactions nest and roll back,
 * failures carry SQLite's own code.
 */
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import {
  availableSqliteBindings,
  openSqlite,
  sqliteErrorCode,
  SqliteBindingError,
  type SqliteBindingName,
  type SqliteDatabase,
} from '../src/index.js'

function usable(binding: SqliteBindingName): boolean {
  try {
    openSqlite(':memory:', { binding }).close()
    return true
  } catch {
    return false
  }
}
const bindings = availableSqliteBindings().filter(usable)

test('this Node has a binding, and node:sqlite where Node ships it unflagged', () => {
  assert.ok(bindings.length > 0)
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const shipsIt = major > 22 || (major === 22 && minor >= 13)
  assert.equal(bindings.includes('node:sqlite'), shipsIt)
  // the default is the first: node:sqlite where there is one
  const db = openSqlite(':memory:')
  assert.equal(db.binding, bindings[0])
  db.close()
})

test('a binding this Node lacks is a typed error naming it', () => {
  const missing = (['node:sqlite', 'better-sqlite3'] as const).find(
    (b) => !availableSqliteBindings().includes(b),
  )
  if (missing === undefined) return
  assert.throws(
    () => openSqlite(':memory:', { binding: missing }),
    (e: unknown) => e instanceof SqliteBindingError && e.code === 'local.sqlite_unavailable',
  )
})

for (const binding of bindings) {
  describe(binding, () => {
    const open = (t: TestContext, file?: string): SqliteDatabase => {
      const dir = mkdtempSync(join(tmpdir(), 'astarte-sqlite-'))
      t.after(() => rmSync(dir, { recursive: true, force: true }))
      const db = openSqlite(file ?? join(dir, 'db.sqlite'), { binding })
      t.after(() => db.close())
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, b BLOB, n REAL)')
      return db
    }

    test('values round-trip: text, blobs as bytes, integers, doubles, NULL', (t) => {
      const db = open(t)
      assert.equal(db.binding, binding)
      const insert = db.prepare<[number, string | null, Uint8Array | null, number | null]>(
        'INSERT INTO t VALUES (?, ?, ?, ?)',
      )
      const get = db.prepare<
        [number],
        { s: string | null; b: Uint8Array | null; n: number | null }
      >('SELECT s, b, n FROM t WHERE id = ?')
      let id = 0
      fc.assert(
        fc.property(
          fc.option(fc.string({ unit: 'grapheme' })),
          fc.option(fc.uint8Array({ maxLength: 300 })),
          fc.option(fc.double({ noNaN: true })),
          (s, b, n) => {
            id++
            assert.equal(Number(insert.run(id, s, b, n).changes), 1)
            const row = get.get(id)
            assert.equal(row?.s, s)
            assert.deepEqual(
              row?.b === null ? null : [...(row?.b ?? [])],
              b === null ? null : [...b],
            )
            assert.ok(row?.b === null || row?.b instanceof Uint8Array)
            // SQLite keeps no negative zero: compared with ===, for which -0 equals 0
            assert.ok(row?.n === n, `${row?.n} for ${n}`)
          },
        ),
        { numRuns: 200 },
      )
    })

    test('named @parameters, RETURNING, pragma', (t) => {
      const db = open(t)
      db.prepare('INSERT INTO t (id, s) VALUES (@id, @s)').run({ id: 7, s: 'seven' })
      const gone = db
        .prepare<[number], { s: string }>('DELETE FROM t WHERE id = ? RETURNING s')
        .get(7)
      assert.equal(gone?.s, 'seven')
      assert.equal(db.pragma('journal_mode = WAL'), 'wal')
      assert.equal(typeof db.pragma('page_size'), 'number')
      assert.equal(db.pragma('user_version = 3'), undefined)
      assert.equal(db.pragma('user_version'), 3)
    })

    test('transactions commit, roll back on a throw, and nest as savepoints', (t) => {
      const db = open(t)
      const insert = db.prepare<[number]>('INSERT INTO t (id) VALUES (?)')
      const ids = (): number[] =>
        db
          .prepare<[], { id: number }>('SELECT id FROM t ORDER BY id')
          .all()
          .map((r) => r.id)
      assert.equal(
        db.transaction(() => (insert.run(1), 'done')),
        'done',
      )
      assert.throws(
        () =>
          db.transaction(() => {
            insert.run(2)
            throw new Error('abandoned')
          }),
        /abandoned/,
      )
      assert.deepEqual(ids(), [1])
      db.transaction(() => {
        insert.run(3)
        assert.throws(() =>
          db.transaction(() => {
            insert.run(4)
            throw new Error('inner')
          }),
        )
        db.transaction(() => insert.run(5))
      })
      assert.deepEqual(ids(), [1, 3, 5])
      // a failing statement inside: SQLite's code, and nothing of the transaction kept
      let caught: unknown
      try {
        db.transaction(() => {
          insert.run(6)
          insert.run(1)
        })
      } catch (e) {
        caught = e
      }
      assert.equal(sqliteErrorCode(caught), 'SQLITE_CONSTRAINT')
      assert.deepEqual(ids(), [1, 3, 5])
    })

    test('a file that is not a database fails with SQLITE_NOTADB; read-only refuses writes', (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'astarte-sqlite-'))
      t.after(() => rmSync(dir, { recursive: true, force: true }))
      const junk = join(dir, 'junk')
      writeFileSync(junk, Buffer.alloc(8192, 0x5a))
      let caught: unknown
      try {
        const db = openSqlite(junk, { binding })
        try {
          db.pragma('journal_mode = WAL')
        } finally {
          db.close()
        }
      } catch (e) {
        caught = e
      }
      assert.equal(sqliteErrorCode(caught), 'SQLITE_NOTADB')

      const file = join(dir, 'ro.sqlite')
      openSqlite(file, { binding }).close()
      const ro = openSqlite(file, { binding, readOnly: true })
      t.after(() => ro.close())
      let refused: unknown
      try {
        ro.exec('CREATE TABLE x (a)')
      } catch (e) {
        refused = e
      }
      assert.equal(sqliteErrorCode(refused), 'SQLITE_READONLY')
    })

    test('close is idempotent and reported by open', (t) => {
      const db = open(t)
      assert.equal(db.open, true)
      db.close()
      db.close()
      assert.equal(db.open, false)
    })
  })
}

test('sqliteErrorCode: only SQLite failures have one', () => {
  assert.equal(sqliteErrorCode(new Error('x')), undefined)
  assert.equal(sqliteErrorCode(null), undefined)
  assert.equal(sqliteErrorCode({ code: 'SQLITE_IOERR_WRITE' }), 'SQLITE_IOERR')
  assert.equal(sqliteErrorCode({ code: 'ERR_SQLITE_ERROR', errcode: 13 }), 'SQLITE_FULL')
  assert.equal(
    sqliteErrorCode({ code: 'ERR_SQLITE_ERROR', errcode: 10 | (4 << 8) }),
    'SQLITE_IOERR',
  )
})
