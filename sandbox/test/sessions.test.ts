/**
 * MQTT sessions in the sandbox's SQLite file: what a device finds after the sandbox stopped (or
 * was killed) and started again on the same data directory — subscriptions (sessionPresent),
 * server→device messages queued or mid-handshake, and incoming QoS 2 ids ingested exactly once.
 * Raw MQTT (mqtt-packet over real TLS) drives each handshake step by step.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { openSqlite } from '@astarte-ts/sqlite'
import { Binary, deserialize, Double, serialize } from 'bson'
import { SessionPersistence } from '../src/broker/session-persistence.js'
import { openDb } from '../src/store/db.js'
import { SessionStore } from '../src/store/sessions.js'
import type { Sandbox } from '../src/index.js'
import {
  appengine,
  connectDevice,
  FIXTURE_INTROSPECTION,
  FIXTURES,
  onlineDevice,
  provisionDevice,
  testSandbox,
  waitFor,
  type SandboxUrls,
} from './helpers.js'
import { rawConnect, type RawClient, type RawPacket } from './raw-mqtt.js'

const DD = 'org.astarte.test.DeviceDatastream'
const SD = 'org.astarte.test.ServerDatastream'
const root = new URL('../../', import.meta.url).pathname
const tsNode = ['--conditions=@astarte-ts/source', '--import', 'tsx']

type Device = Awaited<ReturnType<typeof provisionDevice>>

const sample = (v: number): Buffer => Buffer.from(serialize({ v: new Double(v) }))

/** The values of one device datastream path, as AppEngine reads them. */
async function values(sb: SandboxUrls, d: Device): Promise<number[]> {
  const res = await appengine(sb, 'GET', `devices/${d.deviceId}/interfaces/${DD}/sensors/s/value`)
  if (res.status === 404) return []
  return (res.json as { data: { value: number }[] }).data.map((s) => s.value)
}

/** POSTs a server-owned `unique` value (QoS 2) to the device. */
async function pushUnique(sb: SandboxUrls, d: Device, text: string): Promise<void> {
  const path = `devices/${d.deviceId}/interfaces/${SD}/unique`
  const res = await appengine(sb, 'POST', path, { data: Buffer.from(text).toString('base64') })
  assert.equal(res.status, 200)
}

const uniqueText = (p: RawPacket | { payload: Buffer }): string =>
  Buffer.from((deserialize(p.payload!)['v'] as Binary).buffer).toString()

/** A raw session with the server datastream subscription and the introspection sent. */
async function rawSession(sb: SandboxUrls, d: Device): Promise<RawClient> {
  const raw = await rawConnect(sb, d)
  raw.send({
    cmd: 'subscribe',
    messageId: 1,
    subscriptions: [{ topic: `${d.prefix}/${SD}/#`, qos: 2 }],
  })
  assert.equal((await raw.next()).cmd, 'suback')
  raw.send({
    cmd: 'publish',
    topic: d.prefix,
    payload: FIXTURE_INTROSPECTION,
    qos: 1,
    messageId: 2,
  })
  assert.equal((await raw.next()).cmd, 'puback')
  return raw
}

/** Rows of a client's outgoing queue in the database file (read by a second connection). */
function queuedRows(dataDir: string, d: Device): number {
  const db = openSqlite(join(dataDir, 'sandbox.sqlite'), { readOnly: true })
  try {
    const row = db
      .prepare('SELECT count(*) AS n FROM mqtt_outgoing WHERE client_id = ?')
      .get(d.prefix) as { n: number }
    return row.n
  } finally {
    db.close()
  }
}

describe('MQTT sessions across a sandbox restart on the same data directory', () => {
  const dirs: string[] = []
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-sessions-'))
    dirs.push(dir)
    return dir
  }
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
  const start = (dir: string): Promise<Sandbox> =>
    testSandbox({ dataDir: dir, interfacesDir: FIXTURES })

  it('keeps subscriptions and queued QoS 1 and 2 messages for an offline device', async () => {
    const dir = dataDir()
    const first = await start(dir)
    const d = await onlineDevice(first)
    await d.conn.client.endAsync()
    const guaranteed = `devices/${d.deviceId}/interfaces/${SD}/guaranteed`
    assert.equal((await appengine(first, 'POST', guaranteed, { data: 7 })).status, 200)
    await pushUnique(first, d, 'queued')
    await first.stop()

    const second = await start(dir)
    try {
      // The stored subscription says the device can receive: no 503 after the restart.
      assert.equal((await appengine(second, 'POST', guaranteed, { data: 8 })).status, 200)
      const back = await connectDevice(second, d)
      assert.equal(back.sessionPresent, true)
      await waitFor(() => back.received.length === 3)
      // MQTT.js hands a QoS 2 message over at PUBREL: compare regardless of order.
      const got = back.received
        .map((m) =>
          m.qos === 2 ? `2:${uniqueText(m)}` : `${m.qos}:${deserialize(m.payload)['v']}`,
        )
        .sort()
      assert.deepEqual(got, ['1:7', '1:8', '2:queued'])
      await back.client.endAsync()
    } finally {
      await second.stop()
    }
  })

  it('does not resume a session discarded by a protocol error (§3.10) or by clean=true', async () => {
    const dir = dataDir()
    const first = await start(dir)
    const faulty = await onlineDevice(first)
    faulty.conn.client.publish(`${faulty.prefix}/${DD}/sensors/s/nope`, sample(1), { qos: 0 })
    await faulty.conn.closed
    const cleaned = await onlineDevice(first)
    await cleaned.conn.client.endAsync()
    const clean = await connectDevice(first, cleaned, { clean: true })
    await clean.client.endAsync()
    const kept = await onlineDevice(first)
    await kept.conn.client.endAsync()
    await first.stop()

    const second = await start(dir)
    try {
      for (const [d, present] of [
        [faulty, false],
        [cleaned, false],
        [kept, true],
      ] as const) {
        const conn = await connectDevice(second, d)
        assert.equal(conn.sessionPresent, present, d.deviceId)
        await conn.client.endAsync()
      }
    } finally {
      await second.stop()
    }
  })

  it('resumes server→device QoS 2 handshakes: PUBLISH again with DUP, then one PUBREL each', async () => {
    const dir = dataDir()
    let sb = await start(dir)
    try {
      const d = await provisionDevice(sb)
      let raw = await rawSession(sb, d)
      await pushUnique(sb, d, 'a')
      await pushUnique(sb, d, 'b')
      const sent = [await raw.next(), await raw.next()]
      assert.deepEqual(sent.map(uniqueText), ['a', 'b'])
      const ids = sent.map((p) => p.messageId)
      assert.equal(new Set(ids).size, 2)
      await raw.close()
      await sb.stop()

      // Restarted before PUBREC: the same messages, same ids, marked as re-deliveries.
      sb = await start(dir)
      raw = await rawConnect(sb, d)
      assert.equal(raw.sessionPresent, true)
      const again = [await raw.next(), await raw.next()]
      assert.deepEqual(
        again.map((p) => [p.cmd, p.messageId, p.dup, uniqueText(p)]),
        [
          ['publish', ids[0], true, 'a'],
          ['publish', ids[1], true, 'b'],
        ],
      )
      // Both PUBRECs before any PUBCOMP, as on a fast link (two QoS 2 exchanges in flight).
      for (const id of ids) raw.send({ cmd: 'pubrec', messageId: id })
      const released = [await raw.next(), await raw.next()]
      assert.deepEqual(
        released.map((p) => [p.cmd, p.messageId]),
        ids.map((id) => ['pubrel', id]),
      )
      await raw.close()
      await sb.stop()

      // Restarted past PUBREC: only the releases are left, one per message.
      sb = await start(dir)
      raw = await rawConnect(sb, d)
      assert.equal(raw.sessionPresent, true)
      const resumed = [await raw.next(), await raw.next()]
      assert.deepEqual(
        resumed.map((p) => [p.cmd, p.messageId]),
        ids.map((id) => ['pubrel', id]),
      )
      for (const id of ids) raw.send({ cmd: 'pubcomp', messageId: id })
      await waitFor(() => queuedRows(dir, d) === 0)
      await raw.close()
    } finally {
      await sb.stop()
    }
  })

  it('ingests an incoming QoS 2 message once when its handshake spans a restart', async () => {
    const dir = dataDir()
    let sb = await start(dir)
    try {
      const d = await provisionDevice(sb)
      let raw = await rawSession(sb, d)
      const topic = `${d.prefix}/${DD}/sensors/s/value`
      raw.send({ cmd: 'publish', topic, payload: sample(1.5), qos: 2, messageId: 42 })
      const pubrec = await raw.next()
      assert.deepEqual([pubrec.cmd, pubrec.messageId], ['pubrec', 42])
      await raw.close()
      await sb.stop()

      sb = await start(dir)
      raw = await rawConnect(sb, d)
      assert.equal(raw.sessionPresent, true)
      // The PUBREC was lost as far as the device knows: it sends the PUBLISH again.
      raw.send({ cmd: 'publish', topic, payload: sample(1.5), qos: 2, messageId: 42, dup: true })
      assert.equal((await raw.next()).cmd, 'pubrec')
      raw.send({ cmd: 'pubrel', messageId: 42 })
      assert.equal((await raw.next()).cmd, 'pubcomp')
      assert.deepEqual(await values(sb, d), [1.5])
      await raw.close()
      await sb.stop()

      // Released: the id is free, a new message with it is a new message.
      sb = await start(dir)
      raw = await rawConnect(sb, d)
      raw.send({ cmd: 'publish', topic, payload: sample(2.5), qos: 2, messageId: 42 })
      assert.equal((await raw.next()).cmd, 'pubrec')
      raw.send({ cmd: 'pubrel', messageId: 42 })
      assert.equal((await raw.next()).cmd, 'pubcomp')
      assert.deepEqual(await values(sb, d), [1.5, 2.5])
      await raw.close()
    } finally {
      await sb.stop()
    }
  })
})

describe('the ingestion transaction of a QoS 2 message, with the process killed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-ingest-kill-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** Runs the fixture, which SIGKILLs itself at `when`; returns the database it left. */
  async function killedAt(when: 'inside' | 'after'): Promise<string> {
    const file = join(dir, `${when}.sqlite`)
    const child = spawn(
      process.execPath,
      [...tsNode, 'sandbox/test/fixtures/ingest-and-die.ts', file, when],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    )
    const [, signal] = (await new Promise((resolve) =>
      child.once('exit', (...a) => resolve(a)),
    )) as [number | null, string | null]
    assert.equal(signal, 'SIGKILL')
    return file
  }

  async function reopen(file: string) {
    const db = openDb(file)
    const persistence = new SessionPersistence(new SessionStore(db))
    await persistence.setup({})
    const count = (): number =>
      (db.prepare('SELECT count(*) AS n FROM datastream_values').get() as { n: number }).n
    return { db, persistence, count }
  }

  const client = { id: 'test/d' }
  const packet = { qos: 2, messageId: 9 }

  it('killed before the commit: neither the id nor the data; the re-sent message is ingested', async () => {
    const { db, persistence, count } = await reopen(await killedAt('inside'))
    try {
      assert.equal(count(), 0)
      await assert.rejects(persistence.incomingGetPacket(client, packet), /no such packet/)
      assert.equal(
        persistence.ingest(client, packet, () => 'ingested'),
        'ingested',
      )
    } finally {
      db.close()
    }
  })

  it('killed after the commit: both; the re-sent message is a duplicate', async () => {
    const { db, persistence, count } = await reopen(await killedAt('after'))
    try {
      assert.equal(count(), 1)
      assert.equal((await persistence.incomingGetPacket(client, packet)).messageId, 9)
      assert.equal(
        persistence.ingest(client, packet, () => 'ingested'),
        undefined,
      )
    } finally {
      db.close()
    }
  })
})

describe('a sandbox process killed with SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-sigkill-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** The CLI on `dir`; resolves with what its ready line says. */
  async function startCli() {
    const entry =
      "import('./sandbox/src/cli.ts').then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)) })"
    const args = ['--data-dir', dir, '--interfaces', FIXTURES]
    const child = spawn(process.execPath, [...tsNode, '-e', entry, '--', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const exited = new Promise<string | null>((resolve) => child.once('exit', (_, s) => resolve(s)))
    let out = ''
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')))
      })
      void exited.then(() => reject(new Error('exited before ready')))
    })
    const ready = JSON.parse(line) as Record<string, string>
    const urls: SandboxUrls = {
      realm: ready['realm']!,
      pairingUrl: ready['pairingUrl']!,
      appengineUrl: ready['appengineUrl']!,
      mqttUrl: ready['mqttUrl']!,
      jwt: ready['jwt']!,
      caPem: readFileSync(ready['caFile']!, 'utf8'),
    }
    const kill = async (): Promise<string | null> => {
      child.kill('SIGKILL')
      return exited
    }
    return { urls, kill }
  }

  it('keeps the session, the queued message and the incoming QoS 2 id', async () => {
    const first = await startCli()
    let second: Awaited<ReturnType<typeof startCli>> | undefined
    try {
      const d = await provisionDevice(first.urls)
      const raw = await rawSession(first.urls, d)
      const topic = `${d.prefix}/${DD}/sensors/s/value`
      raw.send({ cmd: 'publish', topic, payload: sample(4.5), qos: 2, messageId: 7 })
      assert.equal((await raw.next()).cmd, 'pubrec')
      await raw.close()
      await pushUnique(first.urls, d, 'while offline')
      assert.equal(await first.kill(), 'SIGKILL')

      second = await startCli()
      const back = await rawConnect(second.urls, d)
      assert.equal(back.sessionPresent, true)
      const queued = await back.next()
      assert.deepEqual(
        [queued.cmd, queued.qos, uniqueText(queued)],
        ['publish', 2, 'while offline'],
      )
      back.send({ cmd: 'publish', topic, payload: sample(4.5), qos: 2, messageId: 7, dup: true })
      assert.equal((await back.next()).cmd, 'pubrec')
      back.send({ cmd: 'pubrel', messageId: 7 })
      assert.equal((await back.next()).cmd, 'pubcomp')
      assert.deepEqual(await values(second.urls, d), [4.5])
      await back.close()
    } finally {
      await first.kill()
      await second?.kill()
    }
  })
})
