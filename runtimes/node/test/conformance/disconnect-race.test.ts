/**
 * Server messages that reach a device while it disconnects gracefully (spec §3.4, §3.5,
 * [MQTT-4.4.0-1], [MQTT-3.14.4-2]). From `disconnect()` on, the runner ignores what the ending
 * connection reports; a server message it ignores must not be acknowledged either, or the
 * broker takes it as delivered and a `guaranteed`/`unique` value or a server property is lost
 * for good. The broker here writes to the device right after its DISCONNECT (the window between
 * the runner giving the connection up and the socket closing), keeps its own side of the
 * session, and redelivers what was not acknowledged on the resumed session.
 */
import { describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { BSON, Int32 } from 'bson'
import type { Device } from '../../src/index.js'
import { ServerStream, startConformanceEnv } from './conformance-env.js'
import type { ConformanceEnv } from './conformance-env.js'
import type { WirePacket } from './strict-broker.js'

const value = (n: number): Uint8Array => BSON.serialize({ v: new Int32(n) })

/** A connected device on a broker that keeps and redelivers its session, and what it receives. */
async function persistentDevice(t: TestContext) {
  const env = await startConformanceEnv({ sessionPresent: (_, clean) => !clean, redeliver: true })
  t.after(() => env.stop())
  const device = await env.open()
  const got: bigint[] = []
  device.on('data', (m) => {
    if (m.type === 'individual') got.push(BigInt(m.value as number | bigint))
  })
  // synced = the sync's publishes completed: nothing in flight, so `disconnect()` writes a
  // DISCONNECT (with publishes in flight the transport closes the socket instead)
  await device.connect()
  return { env, device, got }
}

const streamTopic = (env: ConformanceEnv, path: string): string =>
  `${env.prefix}/${ServerStream.interface_name}${path}`

/** Packets of connection `n` the device sent after its DISCONNECT on it. */
function afterDisconnect(env: ConformanceEnv, n: number): WirePacket[] {
  const own = env.broker.received.filter((r) => r.connection === n).map((r) => r.packet)
  const at = own.findIndex((p) => p.cmd === 'disconnect')
  assert.ok(at >= 0, `no DISCONNECT on connection ${n}`)
  return own.slice(at + 1)
}

/** The packet commands of connection `n`, after the sync (for failure messages). */
const sequence = (env: ConformanceEnv, n: number): string =>
  env.broker.received
    .filter((r) => r.connection === n)
    .map(
      (r) => `${r.packet.cmd}${r.packet.messageId === undefined ? '' : `#${r.packet.messageId}`}`,
    )
    .join(' ')

/** Disconnects, waits until the broker saw the connection close, then reconnects. */
async function disconnectAndResume(env: ConformanceEnv, device: Device): Promise<void> {
  await device.disconnect()
  await env.broker.until('connection 1 closed', () => env.broker.closed.includes(1))
  await device.connect()
}

describe('a server message arriving during a graceful disconnect (spec §3.4, [MQTT-4.4.0-1])', () => {
  for (const qos of [1, 2] as const) {
    test(`QoS ${qos} PUBLISH after the DISCONNECT: not acknowledged, redelivered on the resumed session, delivered once`, async (t) => {
      const { env, device, got } = await persistentDevice(t)
      env.broker.publishWithNextDisconnect(streamTopic(env, `/q${qos}`), value(qos), qos)
      await disconnectAndResume(env, device)
      assert.deepEqual(afterDisconnect(env, 1), [], sequence(env, 1))
      const ack = qos === 1 ? 'puback' : 'pubcomp'
      await env.broker.until(`the ${ack} on connection 2`, () => env.packets(ack, 2).length === 1)
      await env.broker.until('the value at the application', () => got.length >= 1)
      // the ack of the redelivered message (same packet id), not of a new one
      assert.equal(env.packets(ack, 2)[0]?.messageId, 1)
      assert.deepEqual(got, [BigInt(qos)])
    })
  }

  test('QoS 2 PUBREL after the DISCONNECT: no PUBCOMP, the message stays stored, delivered once at the resumed PUBREL', async (t) => {
    const { env, device, got } = await persistentDevice(t)
    env.broker.holdNextPubrel()
    env.broker.publish(streamTopic(env, '/rel'), value(5), 2)
    await env.broker.until('the PUBREC', () => env.packets('pubrec', 1).length === 1)
    await disconnectAndResume(env, device)
    assert.deepEqual(afterDisconnect(env, 1), [], sequence(env, 1))
    await env.broker.until(
      'the PUBCOMP on connection 2',
      () => env.packets('pubcomp', 2).length === 1,
    )
    await env.broker.until('the value at the application', () => got.length >= 1)
    assert.deepEqual(got, [5n], sequence(env, 2))
  })

  test('the application disconnects on a message; the next one, read with it, is not acknowledged after the DISCONNECT [MQTT-3.14.4-2]', async (t) => {
    const { env, device, got } = await persistentDevice(t)
    const stopped = new Promise<void>((resolve) => {
      device.once('data', () => resolve(device.disconnect()))
    })
    env.broker.publishTogether([
      { topic: streamTopic(env, '/first'), payload: value(1), qos: 1 },
      { topic: streamTopic(env, '/second'), payload: value(2), qos: 1 },
    ])
    await stopped
    await env.broker.until('connection 1 closed', () => env.broker.closed.includes(1))
    // the first message's PUBACK went out before the DISCONNECT, the second's not at all
    assert.deepEqual(afterDisconnect(env, 1), [], sequence(env, 1))
    assert.deepEqual(
      env.packets('puback', 1).map((p) => p.messageId),
      [1],
    )
    assert.deepEqual(got, [1n])
    await device.connect()
    await env.broker.until(
      'the PUBACK on connection 2',
      () => env.packets('puback', 2).length === 1,
    )
    assert.equal(env.packets('puback', 2)[0]?.messageId, 2)
    assert.deepEqual(got, [1n, 2n], sequence(env, 2))
  })
})
