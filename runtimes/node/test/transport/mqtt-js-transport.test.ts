import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SdkError } from '@astarte-ts/sdk-core'
import type {
  LogLevel,
  MqttConnectOptions,
  MqttTransport,
  MqttTransportEvents,
} from '@astarte-ts/sdk-core'
import { MqttJsTransport } from '../../src/transport/index.js'
import {
  OBSERVER_CN,
  createCa,
  issueClientCertificate,
  startMosquitto,
} from '../helpers/mosquitto.js'
import type { Mosquitto } from '../helpers/mosquitto.js'
import { issueCertificate } from '../helpers/pki.js'

interface Received {
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: 0 | 1 | 2
}

/** A reported publish outcome, with how many closes the recorder had seen before it. */
interface Published {
  readonly publishId: number
  readonly error: SdkError | null
  readonly closesBefore: number
}

/**
 * Events recorder with a way to wait for the n-th message or the close, and `publish`: a publish
 * through a transport that settles when its outcome is reported.
 */
function recorder() {
  const messages: Received[] = []
  const closes: unknown[] = []
  const published: Published[] = []
  const waiting = new Map<number, (error?: SdkError) => void>()
  let nextPublishId = 1
  let wake: () => void = () => undefined
  const changed = () => new Promise<void>((r) => (wake = r))
  const events: MqttTransportEvents = {
    message(topic, payload, qos) {
      messages.push({ topic, payload: payload.slice(), qos })
      wake()
    },
    published(publishId, error) {
      published.push({ publishId, error: error ?? null, closesBefore: closes.length })
      waiting.get(publishId)?.(error)
      waiting.delete(publishId)
      wake()
    },
    close(error) {
      closes.push(error)
      wake()
    },
  }
  const publish = (
    transport: MqttTransport,
    topic: string,
    payload: Uint8Array,
    qos: 0 | 1 | 2,
    publishId = nextPublishId++,
  ) =>
    new Promise<void>((resolve, reject) => {
      waiting.set(publishId, (e) => (e === undefined ? resolve() : reject(e)))
      try {
        transport.publish(topic, payload, qos, publishId)
      } catch (e) {
        waiting.delete(publishId)
        reject(e)
      }
    })
  const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
    const deadline = Date.now() + ms
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out waiting')
      await Promise.race([changed(), new Promise((r) => setTimeout(r, 50))])
    }
  }
  return { events, messages, closes, published, publish, until }
}

/** Connect options for `clientId` with a fresh certificate from the broker's CA. */
async function brokerOptions(
  broker: Mosquitto,
  clientId: string,
  over: Partial<MqttConnectOptions> = {},
): Promise<MqttConnectOptions> {
  const cert = await broker.issueClient(clientId)
  return {
    host: broker.host,
    port: broker.port,
    clientId,
    keepaliveSec: 30,
    clean: false,
    certificatePem: cert.certificatePem,
    privateKeyPem: cert.privateKeyPem,
    caPem: broker.ca.certPem,
    ignoreTlsErrors: false,
    ...over,
  }
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8')
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))

describe('MqttJsTransport against Mosquitto (mutual TLS)', () => {
  let broker: Mosquitto
  const realm = 'test'
  let n = 0
  // A fresh device identity per test keeps broker sessions apart.
  const device = () => `${realm}/dev${n++}x${process.pid}`

  const optionsFor = (clientId: string, over: Partial<MqttConnectOptions> = {}) =>
    brokerOptions(broker, clientId, over)

  /** A connected transport; ended after the test. */
  const open = async (
    t: { after: (fn: () => unknown) => void },
    clientId: string,
    over: Partial<MqttConnectOptions> = {},
  ) => {
    const transport = new MqttJsTransport()
    const rec = recorder()
    const options = await optionsFor(clientId, over)
    const connack = await transport.connect(options, rec.events)
    t.after(() => transport.end())
    return { transport, rec, connack, options }
  }

  before(async () => {
    broker = await startMosquitto()
  })
  after(async () => {
    await broker.dispose()
  })

  test('clean=false: sessionPresent false on first connect, true on the next', async () => {
    const id = device()
    const transport = new MqttJsTransport()
    const rec = recorder()
    const options = await optionsFor(id)
    const nothingResumed = (sessionPresent: boolean) => ({ sessionPresent, resumed: [] })
    assert.deepEqual(await transport.connect(options, rec.events), nothingResumed(false))
    await transport.end()
    assert.deepEqual(rec.closes, [undefined])
    assert.deepEqual(await transport.connect(options, rec.events), nothingResumed(true))
    await transport.end()
    // clean=true discards the session
    const clean = await transport.connect({ ...options, clean: true }, rec.events)
    assert.deepEqual(clean, nothingResumed(false))
    await transport.end()
  })

  test('connect twice without end is refused', async (t) => {
    const id = device()
    const { transport, options, rec } = await open(t, id)
    await assert.rejects(transport.connect(options, rec.events), {
      code: 'local.already_connected',
    })
  })

  test('publish QoS 0, 1, 2 resolve and arrive with their QoS; subscribe receives', async (t) => {
    const id = device()
    const { transport, rec } = await open(t, id)
    await transport.subscribe([`${id}/#`], 2)
    for (const qos of [0, 1, 2] as const) {
      await rec.publish(transport, `${id}/q${qos}`, bytes(`qos ${qos}`), qos)
    }
    await rec.until(() => rec.messages.length === 3)
    assert.deepEqual(
      rec.messages.map((m) => [m.topic, text(m.payload), m.qos]),
      [0, 1, 2].map((q) => [`${id}/q${q}`, `qos ${q}`, q]),
    )
  })

  test('server-to-device: a message published by the other side reaches the subscriber', async (t) => {
    const id = device()
    const dev = await open(t, id)
    await dev.transport.subscribe(
      [`${id}/com.example.Server/#`, `${id}/control/consumer/properties`],
      2,
    )
    const server = await open(t, OBSERVER_CN, { clean: true })
    const fromServer = (topic: string, payload: Uint8Array, qos: 1 | 2) =>
      server.rec.publish(server.transport, topic, payload, qos)
    await fromServer(`${id}/com.example.Server/a`, new Uint8Array([0, 1, 2, 255]), 2)
    await fromServer(`${id}/control/consumer/properties`, new Uint8Array(0), 2)
    await dev.rec.until(() => dev.rec.messages.length === 2)
    assert.deepEqual(dev.rec.messages[0], {
      topic: `${id}/com.example.Server/a`,
      payload: new Uint8Array([0, 1, 2, 255]),
      qos: 2,
    })
    assert.deepEqual(dev.rec.messages[1], {
      topic: `${id}/control/consumer/properties`,
      payload: new Uint8Array(0),
      qos: 2,
    })
    await dev.transport.unsubscribe([`${id}/com.example.Server/#`])
    await fromServer(`${id}/com.example.Server/b`, bytes('after unsubscribe'), 1)
    await fromServer(`${id}/control/consumer/properties`, bytes('marker'), 1)
    await dev.rec.until(() => dev.rec.messages.length === 3)
    assert.equal(dev.rec.messages[2]?.topic, `${id}/control/consumer/properties`)
  })

  // Mosquitto's acl_file grants every SUBSCRIBE and filters at delivery (VerneMQ refuses with
  // 0x80: see the aedes test below). Either way a device sees and reaches only its own prefix.
  test('ACL: nothing crosses into or out of a foreign prefix', async (t) => {
    const id = device()
    const other = device()
    const dev = await open(t, id)
    await dev.transport.subscribe([`${other}/#`, `${id}/#`], 2)
    const watcher = await open(t, OBSERVER_CN, { clean: true })
    await watcher.transport.subscribe([`${realm}/#`], 2)
    await watcher.rec.publish(watcher.transport, `${other}/for-other`, bytes('a'), 1)
    await dev.rec.publish(dev.transport, `${other}/stolen`, bytes('x'), 1)
    await dev.rec.publish(dev.transport, `${id}/mine`, bytes('y'), 1)
    await watcher.rec.until(() => watcher.rec.messages.some((m) => m.topic === `${id}/mine`))
    await dev.rec.until(() => dev.rec.messages.some((m) => m.topic === `${id}/mine`))
    assert.deepEqual(
      watcher.rec.messages.map((m) => m.topic).filter((tp) => tp === `${other}/stolen`),
      [],
    )
    assert.deepEqual(
      dev.rec.messages.map((m) => m.topic),
      [`${id}/mine`],
    )
  })

  test('5 000 concurrent QoS 1 publishes: all acked, each delivered exactly once', async (t) => {
    const id = device()
    const watcher = await open(t, OBSERVER_CN, { clean: true })
    await watcher.transport.subscribe([`${id}/#`], 1)
    const dev = await open(t, id)
    const total = 5000
    const publish = (i: number) =>
      dev.rec.publish(dev.transport, `${id}/burst`, bytes(String(i)), 1)
    await Promise.all(Array.from({ length: total }, (_, i) => publish(i)))
    await watcher.rec.until(() => watcher.rec.messages.length >= total, 30_000)
    await new Promise((r) => setTimeout(r, 200))
    const seen = new Map<string, number>()
    for (const m of watcher.rec.messages) {
      seen.set(text(m.payload), (seen.get(text(m.payload)) ?? 0) + 1)
    }
    assert.equal(watcher.rec.messages.length, total)
    assert.equal(seen.size, total)
    assert.ok([...seen.values()].every((c) => c === 1))
  })

  test('20 000 QoS 0 publishes at once: those past the socket buffer reported at its drain, each once, in order', async (t) => {
    const id = device()
    const watcher = await open(t, OBSERVER_CN, { clean: true })
    await watcher.transport.subscribe([`${id}/#`], 1)
    const dev = await open(t, id)
    const total = 20_000
    const sent = Array.from({ length: total }, (_, i) =>
      dev.rec.publish(dev.transport, `${id}/zero`, bytes(String(i)), 0, i + 1),
    )
    // ~600 kB written in one tick: the socket buffers past its high-water mark
    assert.ok(dev.rec.published.length < total, 'every report came before the socket drained')
    await Promise.all(sent)
    const ids = dev.rec.published.map((p) => p.publishId)
    assert.deepEqual(
      ids,
      Array.from({ length: total }, (_, i) => i + 1),
    )
    assert.ok(dev.rec.published.every((p) => p.error === null))
    // the broker may drop QoS 0 messages for a slow subscriber: what arrives comes in order
    const zero = () => watcher.rec.messages.filter((m) => m.topic === `${id}/zero`)
    await watcher.rec.until(() => zero().length > 0, 30_000)
    const values = zero().map((m) => Number(text(m.payload)))
    assert.ok(
      values.every((v, k) => k === 0 || v > (values[k - 1] as number)),
      'in order',
    )
  })

  test('a client certificate from another CA: remote.certificate_rejected', async () => {
    const stranger = await createCa('stranger CA')
    const cert = await issueClientCertificate(stranger, `${realm}/intruder`, { lifetimeSec: 3600 })
    const options = {
      ...(await optionsFor(device())),
      certificatePem: cert.certificatePem,
      privateKeyPem: cert.privateKeyPem,
    }
    const connecting = new MqttJsTransport().connect(options, recorder().events)
    await assert.rejects(connecting, (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'remote.certificate_rejected')
      assert.ok(!e.message.includes('PRIVATE KEY'))
      return true
    })
  })

  test('an expired client certificate from the right CA: remote.certificate_rejected', async () => {
    const id = device()
    const expired = await issueCertificate(broker.ca, {
      commonName: id,
      lifetimeSec: 10,
      notBeforeMs: Date.now() - 86_400_000,
    })
    const options = {
      ...(await optionsFor(id)),
      certificatePem: expired.certificatePem,
      privateKeyPem: expired.privateKeyPem,
    }
    await assert.rejects(new MqttJsTransport().connect(options, recorder().events), {
      code: 'remote.certificate_rejected',
    })
  })

  test('a key that does not match the certificate: remote.certificate_rejected (renewal fixes it)', async () => {
    const id = device()
    const options = await optionsFor(id)
    const other = await broker.issueClient(id)
    await assert.rejects(
      new MqttJsTransport().connect(
        { ...options, privateKeyPem: other.privateKeyPem },
        recorder().events,
      ),
      { code: 'remote.certificate_rejected' },
    )
  })

  test('an untrusted broker certificate: remote.tls_untrusted, not a certificate problem of ours', async () => {
    const options = await optionsFor(device())
    const { caPem: _ca, ...withoutCa } = options
    await assert.rejects(new MqttJsTransport().connect(withoutCa, recorder().events), {
      code: 'remote.tls_untrusted',
    })
  })

  test('ignoreTlsErrors connects without the CA and warns on every connect', async () => {
    const warnings: [LogLevel, string][] = []
    const transport = new MqttJsTransport({ logger: { log: (l, m) => warnings.push([l, m]) } })
    const { caPem: _ca, ...options } = await optionsFor(device())
    for (let i = 0; i < 2; i++) {
      await transport.connect({ ...options, ignoreTlsErrors: true }, recorder().events)
      await transport.end()
    }
    assert.equal(
      warnings.filter(([l, m]) => l === 'warn' && m.includes('ignoreTlsErrors')).length,
      2,
    )
  })

  test('nothing listening: remote.connection_refused; calls before connect: local.not_connected', async () => {
    const options = await optionsFor(device())
    const transport = new MqttJsTransport({ connectTimeoutMs: 2000 })
    await assert.rejects(transport.connect({ ...options, port: 1 }, recorder().events), {
      code: 'remote.connection_refused',
    })
    assert.throws(() => transport.publish('a/b', new Uint8Array(0), 0, 1), {
      code: 'local.not_connected',
    })
    await assert.rejects(transport.subscribe(['a/#'], 2), { code: 'local.not_connected' })
    await transport.end()
  })
})

describe('MqttJsTransport when the broker goes away', () => {
  test('close reports the loss, no publish is reported after it, the session survives a restart', async (t) => {
    // Mosquitto 2.0.11 counts the incoming QoS 2 messages it restores from a saved session (PUBREC
    // sent, PUBREL owed) against its outgoing in-flight quota, and a PUBREL does not give it back
    // (quota fixes came in 2.0.13): with the whole flood below restored, it would acknowledge
    // `after` but never deliver it. Its quota here is above the flood. Debug log: a failure below
    // prints the broker's packet trace.
    const broker = await startMosquitto({
      extraConfig: ['max_inflight_messages 1000', 'log_type debug'],
    })
    t.after(() => broker.dispose())
    const id = 'test/restart'
    const options = await brokerOptions(broker, id)
    const transport = new MqttJsTransport()
    const rec = recorder()
    assert.equal((await transport.connect(options, rec.events)).sessionPresent, false)
    // The echo of `before` shows the subscription delivering before the restart; the flood goes
    // to a topic this client is not subscribed to, so the saved session owes it no delivery.
    // Incoming QoS 2 across a resumed session is proven by qos2-resume.test.ts, step by step.
    await transport.subscribe([`${id}/in/#`], 2)
    await rec.publish(transport, `${id}/in/before`, bytes('1'), 1)
    await rec.until(() => rec.messages.some((m) => m.topic === `${id}/in/before`))
    // QoS 2 publishes in flight while the broker dies (as many as the device core's window):
    // those it took down are never reported.
    for (let i = 0; i < 100; i++) transport.publish(`${id}/x`, bytes(String(i)), 2, 1000 + i)
    await broker.stop()
    await rec.until(() => rec.closes.length === 1)
    assert.ok(rec.closes[0] instanceof SdkError && rec.closes[0].code === 'remote.connection_lost')
    const during = rec.published.filter((p) => p.publishId >= 1000)
    assert.deepEqual(
      during.filter((p) => p.error !== null || p.closesBefore > 0),
      [],
      'only completions, and none after the close',
    )
    assert.equal(new Set(during.map((p) => p.publishId)).size, during.length, 'once each')
    assert.throws(() => transport.publish(`${id}/in/after`, bytes('2'), 1, 2000), {
      code: 'local.not_connected',
    })
    await broker.restart()
    assert.equal((await transport.connect(options, rec.events)).sessionPresent, true)
    await rec.publish(transport, `${id}/in/after`, bytes('3'), 1)
    await rec
      .until(() => rec.messages.some((m) => m.topic === `${id}/in/after`))
      .catch((e: Error) => assert.fail(`${e.message}; broker log:\n${broker.log().slice(-20_000)}`))
    await transport.end()
    assert.equal(rec.closes.length, 2)
    assert.equal(rec.closes[1], undefined)
  })
})
