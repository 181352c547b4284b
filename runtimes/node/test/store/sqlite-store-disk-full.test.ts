/**
 * The SQLite store on a disk that fills up: a failed transaction is `local.io_failed` naming the
 * file and leaves the store as it was, an id is never issued twice by one process (a rolled-back
 * AUTOINCREMENT id would be), the WAL stays bounded, and once space is freed the store writes
 * again by itself. The full disk is a real one: a small tmpfs (root only; skipped elsewhere).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { SdkError } from '@astarte-ts/sdk-core'
import type { NewQueuedMessage } from '@astarte-ts/sdk-core'
import { DEFAULT_CACHE_BYTES, DEFAULT_WAL_BYTES, openSqliteStore } from '../../src/store/index.js'
import { tempDir } from '../helpers/tmp.js'
import { mountSmallDisk } from './small-disk.js'

const msg = (n: number, size = 200): NewQueuedMessage => ({
  topic: `realm/dev/org.example.S/${n}`,
  payload: new Uint8Array(size).fill(n & 0xff),
  qos: 1,
  createdMs: n,
  expiresMs: null,
})

const sizeOf = (path: string): number => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

test('an id is never issued twice by one process, even after a rolled-back enqueue', (t) => {
  const path = join(tempDir(t), 'device.db')
  const s = openSqliteStore({ path })
  const kept = s.storedQueue.enqueue(msg(1)).id
  let rolledBack = 0
  assert.throws(() =>
    s.batch(() => {
      rolledBack = s.storedQueue.enqueue(msg(2)).id
      throw new Error('rolled back')
    }),
  )
  assert.ok(rolledBack > kept)
  const next = s.storedQueue.enqueue(msg(3)).id
  assert.ok(next > rolledBack, `id ${next} issued again after the rollback of ${rolledBack}`)
  s.close()
  const reopened = openSqliteStore({ path })
  t.after(() => reopened.close())
  assert.ok(reopened.storedQueue.enqueue(msg(4)).id > next, 'and across a restart')
})

test('the page cache and the WAL are bounded as configured, the file never mapped', (t) => {
  const dir = tempDir(t)
  const defaults = openSqliteStore({ path: join(dir, 'a.db') })
  assert.deepEqual(defaults.limits, {
    cacheBytes: DEFAULT_CACHE_BYTES,
    walBytes: DEFAULT_WAL_BYTES,
    mmapBytes: 0,
  })
  defaults.close()
  const path = join(dir, 'b.db')
  const walBytes = 64 * 1024
  const s = openSqliteStore({ path, cacheBytes: 128 * 1024, walBytes })
  t.after(() => s.close())
  assert.deepEqual(s.limits, { cacheBytes: 128 * 1024, walBytes, mmapBytes: 0 })
  let largest = 0
  for (let n = 0; n < 2_000; n++) {
    s.batch(() => s.storedQueue.enqueue(msg(n)))
    if (n % 2 === 1) s.batch(() => s.storedQueue.remove(s.storedQueue.peek(1, 0)[0]?.id ?? 0))
    largest = Math.max(largest, sizeOf(`${path}-wal`))
  }
  // a checkpoint every walBytes, the file cut back to walBytes: one commit's pages over at most
  assert.ok(largest <= 2 * walBytes, `the WAL grew to ${largest} bytes`)
  for (const bad of [0, -1, 1.5]) {
    for (const option of ['cacheBytes', 'walBytes']) {
      assert.throws(
        () => openSqliteStore({ path: join(dir, 'c.db'), [option]: bad }),
        (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_option',
      )
    }
  }
})

test('a full disk: transactions fail with local.io_failed and change nothing; freed space is used again', (t) => {
  const disk = mountSmallDisk(t, 3 * 1024 * 1024)
  if (disk === undefined) return
  const path = join(disk.dir, 'store.sqlite')
  const s = openSqliteStore({ path })
  t.after(() => s.close())
  for (let n = 0; n < 2_000; n++) s.batch(() => s.storedQueue.enqueue(msg(n)))
  disk.fill()
  assert.equal(disk.freeBytes(), 0)
  const before = { count: s.storedQueue.count(), head: s.storedQueue.peek(5, 0) }
  const failures: SdkError[] = []
  const issued: number[] = []
  for (let n = 0; n < 500; n++) {
    try {
      s.batch(() => {
        issued.push(s.storedQueue.enqueue(msg(10_000 + n)).id)
        const head = s.storedQueue.peek(1, 0)[0]
        if (head !== undefined) s.storedQueue.remove(head.id)
      })
    } catch (e) {
      assert.ok(e instanceof SdkError, String(e))
      failures.push(e)
    }
  }
  assert.ok(failures.length > 0, 'the disk filled up')
  const failure = failures[0] as SdkError
  assert.equal(failure.code, 'local.io_failed')
  assert.equal(failure.ctx?.sqliteCode, 'SQLITE_FULL')
  assert.match(failure.message, /^couldn't write the store file .*store\.sqlite: the disk is full$/)
  assert.equal(new Set(issued).size, issued.length, 'no id issued twice')
  const committed = 500 - failures.length
  assert.equal(
    s.storedQueue.count(),
    before.count,
    'each committed transaction added one, removed one',
  )
  if (committed === 0) assert.deepEqual(s.storedQueue.peek(5, 0), before.head)
  const walWhileFull = sizeOf(`${path}-wal`)
  assert.ok(walWhileFull <= 2 * DEFAULT_WAL_BYTES, `the WAL held ${walWhileFull} bytes`)
  disk.free()
  for (let n = 0; n < 500; n++) s.batch(() => s.storedQueue.enqueue(msg(20_000 + n)))
  assert.equal(s.storedQueue.count(), before.count + 500, 'every write after the space was freed')
  const names = readdirSync(disk.dir).sort()
  assert.deepEqual(names, ['store.sqlite', 'store.sqlite-shm', 'store.sqlite-wal'])
})
