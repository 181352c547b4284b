/**
 * Group commit of `stored` sends, on a real SQLite file read by a second connection: the sends of
 * one tick share one transaction, each resolves only once its row is committed, order is kept,
 * and `close()` stores the sends still waiting for their commit.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqlite, type SqliteDatabase } from '@astarte-ts/sqlite'
import { deserialize } from 'bson'
import { Device, type DeviceOptions } from '../../src/index.js'

const benchInterfaces = new URL('../../../../bench/interfaces/', import.meta.url).pathname
const STORED = 'org.astarte-ts.bench.Stored'
const N = 500
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'astarte-group-commit-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const options = (deviceId: string): DeviceOptions => ({
  realm: 'test',
  // never contacted: the device stays offline
  pairingUrl: 'http://127.0.0.1:9/pairing',
  deviceId,
  credentialsSecret: 'c2VjcmV0',
  interfaces: [benchInterfaces],
  storeDir: dir,
  logger: { log: () => undefined },
})

const storePath = (device: Device): string => join(dir, device.deviceId, 'store.sqlite')

function queuedValues(reader: SqliteDatabase): number[] {
  const rows = reader.prepare('SELECT payload FROM queue ORDER BY id').all() as {
    payload: Uint8Array
  }[]
  return rows.map((r) => deserialize(r.payload).v as number)
}

test('the sends of one tick share one commit and resolve only once it is readable', async (t) => {
  const device = await Device.open(options('AJInS0w3VpWpuOqkXhgZdA'))
  t.after(() => device.close())
  const reader = openSqlite(storePath(device))
  t.after(() => reader.close())
  reader.pragma('wal_checkpoint(TRUNCATE)')
  // a reader holding its snapshot keeps the WAL from being checkpointed and restarted meanwhile,
  // so the frame count below is every frame the sends wrote
  const pin = openSqlite(storePath(device), { readOnly: true })
  t.after(() => pin.close())
  pin.exec('BEGIN')
  pin.prepare('SELECT count(*) FROM queue').get()
  const seenOnResolve: number[] = []
  const count = reader.prepare('SELECT count(*) AS n FROM queue')
  const sent = Array.from({ length: N }, (_, i) => i + 0.5)
  await Promise.all(
    sent.map((v) =>
      device.send(STORED, '/value', v).then(() => {
        seenOnResolve.push((count.get() as { n: number }).n)
      }),
    ),
  )
  // every send resolved with all N rows already committed: they were one transaction
  assert.deepEqual(
    seenOnResolve,
    sent.map(() => N),
  )
  pin.exec('COMMIT')
  // one commit writes each changed page once; a commit per message would write far more frames
  const wal = reader.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number } | undefined
  const pages = reader.pragma('page_count') as number
  assert.ok(wal !== undefined && wal.log > 0 && wal.log <= pages, `wal frames ${wal?.log}`)
  assert.deepEqual(queuedValues(reader), sent)
  assert.equal(device.metrics().queued, N)
})

test('close() stores the sends still waiting for their commit, and they resolve', async () => {
  const device = await Device.open(options('dvt9mLDaWb2vW7bdBJwKCg'))
  const sent = Array.from({ length: N }, (_, i) => -i - 0.25)
  const sends = sent.map((v) => device.send(STORED, '/value', v))
  await device.close()
  await Promise.all(sends)
  const reader = openSqlite(storePath(device), { readOnly: true })
  try {
    assert.deepEqual(queuedValues(reader), sent)
  } finally {
    reader.close()
  }
})
