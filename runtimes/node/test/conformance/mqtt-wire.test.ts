/**
 * MQTT v1 conformance on the wire (spec §3): a real `Device` against a recording broker that
 * parses every packet with mqtt-packet. Asserts the CONNECT fields (§3.1), the full sync's
 * packets, flags, payload bytes and order (§3.4, §3.6), the QoS and retain flag of every data
 * publish (§3.5, §3.8), the BSON of timestamps and unsets (§2.2), the session-present rule, and
 * the device's reaction to the consumer purge list and server data (§3.6, §3.8).
 */
import { after, before, describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { deflateSync } from 'node:zlib'
import { BSON, Double, Int32 } from 'bson'
import { SdkError } from '@astarte-ts/sdk-core'
import type { Device, ServerMessage } from '../../src/index.js'
import {
  DeviceProps,
  Sensors,
  ServerProps,
  ServerStream,
  Stream,
  publishView,
  startConformanceEnv,
} from './conformance-env.js'
import type { ConformanceEnv } from './conformance-env.js'

const INTROSPECTION = [
  'org.astarte-ts.conformance.DeviceProps:1:0',
  'org.astarte-ts.conformance.Sensors:1:0',
  'org.astarte-ts.conformance.ServerProps:2:1',
  'org.astarte-ts.conformance.ServerStream:1:0',
  'org.astarte-ts.conformance.Stream:1:0',
].join(';')

/** spec §3.6 test vector: the empty purge list. */
const EMPTY_PURGE = Buffer.from('00000000789c030000000001', 'hex')

/** spec §3.6: 4-byte big-endian length of the text, then zlib of it. */
function purgePayload(text: string): Buffer {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(Buffer.byteLength(text), 0)
  return Buffer.concat([header, deflateSync(Buffer.from(text))])
}

describe('MQTT wire conformance (spec §3)', () => {
  let env: ConformanceEnv
  let device: Device
  let storeDir: string
  let sessionLost = false
  const topic = (rest: string): string => `${env.prefix}/${rest}`
  const publishes = (connection?: number) => env.packets('publish', connection).map(publishView)

  before(async () => {
    // a persistent broker: the session is present from the second connection on, until lost
    env = await startConformanceEnv({
      sessionPresent: () => !sessionLost && env.packets('connect').length > 1,
    })
    storeDir = await env.storeDir()
    env.broker.holdSubacks()
    device = await env.open({ storeDir })
    const connected = device.connect()
    await env.broker.until('the sync subscription', () => env.packets('subscribe').length === 1)
    // a device that doesn't wait for the SUBACK publishes now: give it the chance to
    await new Promise((r) => setTimeout(r, 300))
    env.broker.releaseSubacks()
    await connected
  })
  after(() => env.stop())

  test('CONNECT: MQTT 3.1.1, clean=false, client id <realm>/<device_id>, keepalive 30, no credentials or will (§3.1, §3.4)', () => {
    const [connect, ...more] = env.packets('connect')
    assert.ok(connect !== undefined)
    assert.equal(more.length, 0)
    assert.equal(connect['protocolId'], 'MQTT')
    assert.equal(connect['protocolVersion'], 4)
    assert.equal(connect['clean'], false)
    assert.equal(connect['clientId'], env.prefix)
    assert.equal(connect['keepalive'], 30)
    assert.equal(connect['username'], undefined)
    assert.equal(connect['password'], undefined)
    assert.equal(connect['will'], undefined)
  })

  test('TLS: the client certificate names <realm>/<device_id>; SNI is the broker host (§3.1)', () => {
    const [facts] = env.broker.tls
    assert.equal(facts?.clientCn, env.prefix)
    assert.equal(facts?.servername, 'localhost')
  })

  test('full sync: SUBSCRIBE consumer properties + one filter per server-owned interface, QoS 2, before anything else', () => {
    const first = env.broker.received[1]?.packet
    assert.equal(first?.cmd, 'subscribe')
    const subs = first['subscriptions'] as Array<{ topic: string; qos: number }>
    assert.deepEqual(
      subs.map((s) => s.topic).sort(),
      [
        topic('control/consumer/properties'),
        topic(`${ServerProps.interface_name}/#`),
        topic(`${ServerStream.interface_name}/#`),
      ].sort(),
    )
    assert.ok(subs.every((s) => s.qos === 2))
  })

  test('full sync: no PUBLISH before the SUBACK went out (§3.4 step 1)', () => {
    const firstPublish = env.broker.received.findIndex((r) => r.packet.cmd === 'publish')
    const subackAt = env.broker.subacksSentAt[0]
    assert.ok(subackAt !== undefined && firstPublish >= subackAt, `${firstPublish} < ${subackAt}`)
  })

  test('full sync: introspection, emptyCache, producer purge — in order, QoS 2, retain false, exact bytes (§3.3, §3.4, §3.6)', () => {
    const sync = publishes(1).slice(0, 3)
    assert.deepEqual(sync, [
      { topic: env.prefix, qos: 2, retain: false, payload: Buffer.from(INTROSPECTION) },
      { topic: topic('control/emptyCache'), qos: 2, retain: false, payload: Buffer.from('1') },
      { topic: topic('control/producer/properties'), qos: 2, retain: false, payload: EMPTY_PURGE },
    ])
  })

  test('data publishes: QoS by reliability, properties QoS 2, never retained (§3.5, §3.8)', async () => {
    const before = env.broker.received.length
    await device.send(Stream.interface_name, '/unreliable', 1.5)
    await device.send(Stream.interface_name, '/guaranteed', 2.5)
    await device.send(Stream.interface_name, '/unique', 3.5)
    await device.send(Stream.interface_name, '/stored', 4.5)
    await device.setProperty(DeviceProps.interface_name, '/a/value', 7)
    await env.broker.until('5 data publishes', () => publishes().length >= 8)
    const got = env.broker.received
      .slice(before)
      .filter((r) => r.packet.cmd === 'publish')
      .map((r) => publishView(r.packet))
      .map(({ topic: t, qos, retain }) => ({ topic: t, qos, retain }))
      .sort((a, b) => (a.topic < b.topic ? -1 : 1))
    const stream = (p: string) => topic(`${Stream.interface_name}${p}`)
    assert.deepEqual(got, [
      { topic: topic(`${DeviceProps.interface_name}/a/value`), qos: 2, retain: false },
      { topic: stream('/guaranteed'), qos: 1, retain: false },
      { topic: stream('/stored'), qos: 1, retain: false },
      { topic: stream('/unique'), qos: 2, retain: false },
      { topic: stream('/unreliable'), qos: 0, retain: false },
    ])
  })

  test('payloads: double as 0x01, integer as 0x10, "t" as a 0x09 UTC datetime in ms (§2.2, §2.3)', async () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))
    await device.send(Stream.interface_name, '/stamped', 5, { timestamp: at })
    const stamped = topic(`${Stream.interface_name}/stamped`)
    await env.broker.until('the stamped value', () => publishes().some((p) => p.topic === stamped))
    const p = publishes().find((x) => x.topic === stamped)
    assert.deepEqual(p?.payload, Buffer.from(BSON.serialize({ v: new Double(5), t: at })))
    const property = publishes().find((x) =>
      x.topic.endsWith(`${DeviceProps.interface_name}/a/value`),
    )
    assert.deepEqual(property?.payload, Buffer.from(BSON.serialize({ v: new Int32(7) })))
  })

  test('object aggregate: one publish on the instantiated prefix, {"v": {key: …}, "t"}, QoS of its reliability (§2.2, §3.2)', async () => {
    const at = new Date(Date.UTC(2026, 5, 7, 8, 9, 10, 11))
    await device.sendObject(
      Sensors.interface_name,
      '/s1',
      { temp: 25.3123, hum: 67.112 },
      { timestamp: at },
    )
    const prefixTopic = topic(`${Sensors.interface_name}/s1`)
    await env.broker.until('the object', () => publishes().some((p) => p.topic === prefixTopic))
    const sent = publishes().filter((p) => p.topic.startsWith(topic(Sensors.interface_name)))
    assert.equal(sent.length, 1)
    const v = { temp: new Double(25.3123), hum: new Double(67.112) }
    assert.deepEqual(sent[0], {
      topic: prefixTopic,
      qos: 1,
      retain: false,
      payload: Buffer.from(BSON.serialize({ v, t: at })),
    })
  })

  test('payload size: a value Core accepts but whose payload is over max_message_size is refused before queuing (§2.3, §3.1)', async () => {
    const before = env.broker.received.length
    // 65 536 UTF-8 bytes: the largest string Core accepts; {"v": …} makes it 65 549 bytes
    const largest = 'é'.repeat(32_768)
    await assert.rejects(device.send(Stream.interface_name, '/text', largest), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'local.payload_too_large')
      return true
    })
    // {"v": string} = 13 bytes of framing: exactly at the limit
    const fits = 'x'.repeat(65_535 - 13)
    await device.send(Stream.interface_name, '/text', fits)
    const text = topic(`${Stream.interface_name}/text`)
    await env.broker.until('the value that fits', () => publishes().some((p) => p.topic === text))
    const sent = env.broker.received.slice(before).filter((r) => r.packet.cmd === 'publish')
    assert.deepEqual(
      sent.map((r) => publishView(r.packet).payload.length),
      [65_535],
    )
  })

  test('property unset: a zero-length payload at QoS 2, not an empty document (§2.2)', async () => {
    await device.setProperty(DeviceProps.interface_name, '/b/value', 1)
    await device.unsetProperty(DeviceProps.interface_name, '/b/value')
    const b = topic(`${DeviceProps.interface_name}/b/value`)
    await env.broker.until('the unset', () => publishes().filter((p) => p.topic === b).length === 2)
    const [set, unset] = publishes().filter((p) => p.topic === b)
    assert.equal(set?.qos, 2)
    assert.deepEqual(unset, { topic: b, qos: 2, retain: false, payload: Buffer.alloc(0) })
  })

  test('consumer purge list: unlisted cached server properties are dropped, listed ones kept (§3.6)', async () => {
    const iface = ServerProps.interface_name
    const value = (n: number) => BSON.serialize({ v: new Int32(n) })
    env.broker.publish(topic(`${iface}/x/value`), value(1))
    env.broker.publish(topic(`${iface}/y/value`), value(2))
    const cached = () =>
      device
        .properties({ ownership: 'server' })
        .map((p) => p.path)
        .sort()
    await env.broker.until('both server properties cached', () => cached().length === 2)
    env.broker.publish(topic('control/consumer/properties'), purgePayload(`${iface}/x/value`))
    await env.broker.until('the purge applied', () => cached().length === 1)
    assert.deepEqual(cached(), ['/x/value'])
    assert.equal(device.getProperty(ServerProps.interface_name, '/x/value'), 1)
  })

  test('server longinteger arriving as int32 is accepted (§2.3: the server picks the smallest type)', async () => {
    const got = new Promise<unknown>((resolve) => {
      const onData = (m: ServerMessage): void => {
        if (m.interfaceName !== ServerStream.interface_name) return
        device.off('data', onData)
        resolve(m.type === 'individual' ? m.value : undefined)
      }
      device.on('data', onData)
    })
    env.broker.publish(
      topic(`${ServerStream.interface_name}/n`),
      BSON.serialize({ v: new Int32(42) }),
    )
    assert.equal(BigInt((await got) as number | bigint), 42n)
  })

  test('reconnect on a present, synced session: no SUBSCRIBE and no control message (§3.4)', async () => {
    const synced = new Promise((resolve) => device.once('synced', resolve))
    env.broker.dropConnection()
    await synced
    await device.send(Stream.interface_name, '/guaranteed', 6.5)
    await env.broker.until('data on connection 2', () => publishes(2).length >= 1)
    assert.equal(env.packets('connect')[1]?.['clean'], false)
    assert.equal(env.packets('subscribe', 2).length, 0)
    assert.deepEqual(
      publishes(2).map((p) => p.topic),
      [topic(`${Stream.interface_name}/guaranteed`)],
    )
  })

  test('session lost (forced clean): full sync re-sends the set device properties, then their purge list (§3.4 step 4)', async () => {
    sessionLost = true
    const synced = new Promise((resolve) => device.once('synced', resolve))
    env.broker.dropConnection()
    await synced
    const props = topic(`${DeviceProps.interface_name}/a/value`)
    assert.equal(env.packets('subscribe', 3).length, 1)
    assert.deepEqual(
      publishes(3).map((p) => [p.topic, p.qos, p.retain]),
      [
        [env.prefix, 2, false],
        [topic('control/emptyCache'), 2, false],
        [props, 2, false],
        [topic('control/producer/properties'), 2, false],
      ],
    )
    const purge = publishes(3)[3]?.payload
    assert.deepEqual(purge, purgePayload(`${DeviceProps.interface_name}/a/value`))
  })
})

/** A device on a broker that keeps sessions, recording the values of the data it receives. */
async function persistentDevice(t: TestContext) {
  const env = await startConformanceEnv({ sessionPresent: (_, clean) => !clean })
  t.after(() => env.stop())
  const device = await env.open()
  const got: unknown[] = []
  device.on('data', (m) => got.push(m.type === 'individual' ? m.value : m.type))
  return { env, device, got }
}

describe('server messages a persistent session delivers right after CONNACK (spec §3.4)', () => {
  test('a QoS 1 message in the same TLS record as the CONNACK reaches the application', async (t) => {
    const { env, device, got } = await persistentDevice(t)
    const topic = `${env.prefix}/${ServerStream.interface_name}/queued`
    env.broker.publishWithNextConnack(topic, BSON.serialize({ v: new Int32(7) }), 1)
    await device.connect()
    await env.broker.until('the PUBACK', () => env.packets('puback').length === 1)
    await env.broker.until('the message at the application', () => got.length === 1)
    assert.deepEqual(
      got.map((v) => BigInt(v as number)),
      [7n],
    )
  })
})

describe('a QoS 2 server message whose PUBREL comes on the resumed session (spec §3.4, [MQTT-4.3.3])', () => {
  test('is delivered to the application exactly once', async (t) => {
    const { env, device, got } = await persistentDevice(t)
    await device.connect()
    env.broker.dropOnNextPubrec()
    env.broker.publish(
      `${env.prefix}/${ServerStream.interface_name}/q2`,
      BSON.serialize({ v: new Int32(9) }),
      2,
    )
    await env.broker.until(
      'the PUBCOMP on the resumed session',
      () => env.packets('pubcomp').length === 1,
    )
    await env.broker.until('the message at the application', () => got.length >= 1)
    assert.deepEqual(
      got.map((v) => BigInt(v as number)),
      [9n],
    )
  })
})
