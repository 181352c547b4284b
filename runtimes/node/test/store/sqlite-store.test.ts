import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openSqlite } from '@astarte-ts/sqlite'
import fc from 'fast-check'
import { SdkError } from '@astarte-ts/sdk-core'
import type { NewQueuedMessage } from '@astarte-ts/sdk-core'
import { SCHEMA_VERSION, openSqliteStore } from '../../src/store/index.js'
import type { OverflowEvent, SqliteStoreOptions } from '../../src/store/index.js'
import { tempDir } from '../helpers/tmp.js'

const msg = (n: number, size = 2, over: Partial<NewQueuedMessage> = {}): NewQueuedMessage => ({
  topic: `realm/dev/org.example.S/${n}`,
  payload: new Uint8Array(size).fill(n & 0xff),
  qos: 1,
  createdMs: n,
  expiresMs: null,
  ...over,
})

const open = (t: Parameters<typeof tempDir>[0], o: Omit<SqliteStoreOptions, 'path'> = {}) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'device.db'), ...o })
  t.after(() => store.close())
  return store
}

test('drop-oldest by count: evicts from the head, counts and reports it', (t) => {
  const events: OverflowEvent[] = []
  const s = open(t, { maxStoredMessages: 3, onOverflow: (e) => events.push(e) })
  const ids = [1, 2, 3, 4, 5].map((n) => s.storedQueue.enqueue(msg(n)).id)
  assert.deepEqual(
    s.storedQueue.peek(10, 0).map((m) => m.id),
    ids.slice(2),
  )
  assert.equal(s.storedQueue.count(), 3)
  assert.equal(s.storedQueue.droppedCount, 2)
  assert.deepEqual(events, [
    { queue: 'stored', dropped: 1, droppedTotal: 1 },
    { queue: 'stored', dropped: 1, droppedTotal: 2 },
  ])
})

test('drop-oldest by bytes: evicts as many as needed for a big message', (t) => {
  const s = open(t, { maxStoredBytes: 100 })
  for (let n = 0; n < 10; n++) s.storedQueue.enqueue(msg(n, 10))
  const big = s.storedQueue.enqueue(msg(99, 35))
  assert.deepEqual(
    s.storedQueue.peek(100, 0).map((m) => m.createdMs),
    [4, 5, 6, 7, 8, 9, 99],
  )
  assert.equal(s.storedQueue.byteSize, 95)
  assert.equal(s.storedQueue.peek(100, 0).at(-1)?.id, big.id)
})

test('reject-new: enqueue throws local.store_full and stores nothing', (t) => {
  const s = open(t, { maxStoredMessages: 2, overflow: 'reject-new' })
  s.storedQueue.enqueue(msg(1))
  s.storedQueue.enqueue(msg(2))
  assert.throws(
    () => s.storedQueue.enqueue(msg(3)),
    (e: unknown) =>
      e instanceof SdkError && e.code === 'local.store_full' && e.message.startsWith("couldn't"),
  )
  assert.deepEqual(
    s.storedQueue.peek(10, 0).map((m) => m.createdMs),
    [1, 2],
  )
})

test('a message larger than maxBytes is refused under either policy', (t) => {
  for (const overflow of ['drop-oldest', 'reject-new'] as const) {
    const s = open(t, { maxStoredBytes: 8, overflow })
    s.storedQueue.enqueue(msg(1, 4))
    assert.throws(() => s.storedQueue.enqueue(msg(2, 9)), { code: 'local.store_full' })
    assert.equal(s.storedQueue.count(), 1)
  }
})

test('the volatile queue has the same bounds unless given its own', (t) => {
  const events: OverflowEvent[] = []
  const s = open(t, { maxStoredMessages: 2, onOverflow: (e) => events.push(e) })
  for (let n = 0; n < 4; n++) s.volatileQueue.enqueue(msg(n))
  assert.deepEqual(
    s.volatileQueue.peek(10, 0).map((m) => m.createdMs),
    [2, 3],
  )
  assert.deepEqual(events.at(-1), { queue: 'volatile', dropped: 1, droppedTotal: 2 })
  const r = open(t, { maxStoredMessages: 2, volatile: { maxMessages: 1, overflow: 'reject-new' } })
  r.volatileQueue.enqueue(msg(1))
  assert.throws(() => r.volatileQueue.enqueue(msg(2)), { code: 'local.store_full' })
})

test('property: the SQLite queue behaves like the in-memory model under random operations', (t) => {
  const numRuns = Math.min(200, Number(process.env['FC_NUM_RUNS'] ?? 200))
  const dir = tempDir(t)
  let run = 0
  const op = fc.oneof(
    fc.record({
      type: fc.constant('enqueue' as const),
      size: fc.nat(40),
      ttl: fc.option(fc.nat(50)),
    }),
    fc.record({ type: fc.constant('peek' as const), limit: fc.nat(5) }),
    fc.record({ type: fc.constant('remove' as const), pick: fc.nat() }),
    fc.record({ type: fc.constant('tick' as const), ms: fc.nat(20) }),
  )
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 40 }),
      fc.constantFrom('drop-oldest', 'reject-new' as const),
      (ops, overflow) => {
        const bounds = { maxStoredMessages: 6, maxStoredBytes: 120, overflow } as const
        const s = openSqliteStore({
          path: join(dir, `p${run++}.db`),
          synchronous: 'normal',
          ...bounds,
        })
        const m = s.volatileQueue
        try {
          let now = 0
          for (const o of ops) {
            switch (o.type) {
              case 'enqueue': {
                const x = msg(now, o.size, {
                  createdMs: now,
                  expiresMs: o.ttl === null ? null : now + o.ttl,
                })
                const r1 = (() => {
                  try {
                    return s.storedQueue.enqueue(x).createdMs
                  } catch (e) {
                    return (e as SdkError).code
                  }
                })()
                const r2 = (() => {
                  try {
                    return m.enqueue(x).createdMs
                  } catch (e) {
                    return (e as SdkError).code
                  }
                })()
                assert.equal(r1, r2)
                break
              }
              case 'peek': {
                const strip = (q: typeof s.storedQueue | typeof m) =>
                  q.peek(o.limit, now).map(({ id: _id, ...rest }) => rest)
                assert.deepEqual(strip(s.storedQueue), strip(m))
                break
              }
              case 'remove': {
                const a = s.storedQueue.peek(100, now)
                const b = m.peek(100, now)
                if (a.length > 0) {
                  const i = o.pick % a.length
                  s.storedQueue.remove(a[i]?.id ?? -1)
                  m.remove(b[i]?.id ?? -1)
                }
                break
              }
              case 'tick':
                now += o.ms
                break
            }
            assert.equal(s.storedQueue.count(), m.count())
            assert.equal(s.storedQueue.droppedCount, m.droppedCount)
          }
        } finally {
          s.close()
        }
      },
    ),
    { seed: 0x57043, numRuns },
  )
})

test('peek builds a message once: rows it handed out come back as the same objects', (t) => {
  const q = open(t).storedQueue
  const a = q.enqueue(msg(1)).id
  const b = q.enqueue(msg(2)).id
  const first = q.peek(2, 0)
  const c = q.enqueue(msg(3)).id
  const second = q.peek(3, 0)
  assert.deepEqual(
    second.map((m) => m.id),
    [a, b, c],
  )
  assert.equal(second[0], first[0])
  assert.equal(second[1], first[1])
  assert.deepEqual(second[2]?.payload, msg(3).payload)
  // what left the queue is not handed out again, whether removed or rolled back
  q.remove(a)
  const s = open(t)
  s.storedQueue.enqueue(msg(4))
  assert.throws(() =>
    s.batch(() => {
      s.storedQueue.enqueue(msg(5))
      assert.equal(s.storedQueue.peek(5, 0).length, 2)
      throw new Error('abort')
    }),
  )
  assert.deepEqual(
    s.storedQueue.peek(5, 0).map((m) => m.createdMs),
    [4],
  )
  assert.deepEqual(
    q.peek(5, 0).map((m) => m.id),
    [b, c],
  )
})

test('batch: one transaction, durable together; a throw rolls every write back', (t) => {
  const s = open(t, { maxStoredMessages: 1000 })
  s.batch(() => {
    for (let n = 0; n < 100; n++) s.storedQueue.enqueue(msg(n))
    s.meta.set('k', 'v')
  })
  assert.equal(s.storedQueue.count(), 100)
  assert.throws(() =>
    s.batch(() => {
      for (let n = 0; n < 50; n++) s.storedQueue.enqueue(msg(n))
      s.meta.set('k', 'w')
      throw new Error('abort')
    }),
  )
  assert.equal(s.storedQueue.count(), 100)
  assert.equal(s.storedQueue.peek(1000, 0).length, 100)
  assert.equal(s.meta.get('k'), 'v')
})

test('schema: the file is WAL with user_version set; reopening keeps every table', (t) => {
  const path = join(tempDir(t), 'd.db')
  const first = openSqliteStore({ path })
  first.properties.set({
    interfaceName: 'i',
    major: 1,
    path: '/p',
    ownership: 'server',
    payload: new Uint8Array([1]),
  })
  first.meta.set('k', 'v')
  first.storedQueue.enqueue(msg(1))
  first.close()
  first.close()
  const db = openSqlite(path, { readOnly: true })
  assert.equal(db.pragma('journal_mode'), 'wal')
  assert.equal(db.pragma('user_version'), SCHEMA_VERSION)
  db.close()
  const again = openSqliteStore({ path, synchronous: 'normal' })
  t.after(() => again.close())
  assert.equal(again.properties.list('server').length, 1)
  assert.equal(again.meta.get('k'), 'v')
  assert.equal(again.storedQueue.count(), 1)
  assert.equal(again.storedQueue.byteSize, 2)
})

test('a file that is not a database: local.store_unreadable naming the file', (t) => {
  const path = join(tempDir(t), 'corrupt.db')
  writeFileSync(path, Buffer.alloc(8192, 0x5a))
  assert.throws(
    () => openSqliteStore({ path }),
    (e: unknown) =>
      e instanceof SdkError && e.code === 'local.store_unreadable' && e.message.includes(path),
  )
})

test('a file from a newer schema is refused, not downgraded', (t) => {
  const path = join(tempDir(t), 'newer.db')
  openSqliteStore({ path }).close()
  const db = openSqlite(path)
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
  db.close()
  assert.throws(() => openSqliteStore({ path }), { code: 'local.store_unreadable' })
})

test('a missing directory: local.store_unreadable', (t) => {
  const path = join(tempDir(t), 'no', 'such', 'dir', 'd.db')
  assert.throws(() => openSqliteStore({ path }), { code: 'local.store_unreadable' })
})

test('enqueue is durable when it returns: rows survive SIGKILL of the writer', async (t) => {
  const dir = tempDir(t)
  const src = new URL('../../src/store/index.ts', import.meta.url).pathname
  const script = `
    const { openSqliteStore } = await import(${JSON.stringify(src)})
    const s = openSqliteStore({ path: process.argv[1], synchronous: process.argv[2] })
    for (let n = 1; ; n++) {
      s.storedQueue.enqueue({ topic: 't/' + n, payload: new Uint8Array([n & 255]), qos: 1, createdMs: n, expiresMs: null })
      if (n % 50 === 0) process.stdout.write(n + '\\n')
    }
  `
  for (const synchronous of ['normal', 'full']) {
    const path = join(dir, `${synchronous}.db`)
    const child = spawn(
      process.execPath,
      [
        '--conditions=@astarte-ts/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        path,
        synchronous,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let reported = 0
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const last = Number(d.toString().trim().split('\n').at(-1))
        if (last >= 200) {
          reported = last
          child.kill('SIGKILL')
          resolve()
        }
      })
    })
    await new Promise((r) => child.once('exit', r))
    const s = openSqliteStore({ path })
    try {
      // every enqueue that returned before the report was printed is there
      const rows = s.storedQueue.peek(1_000_000, 0)
      assert.ok(rows.length >= reported, `${rows.length} < ${reported}`)
      rows.forEach((r, i) => assert.equal(r.topic, `t/${i + 1}`))
    } finally {
      s.close()
    }
  }
})
