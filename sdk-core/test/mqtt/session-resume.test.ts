/**
 * Resuming a session [MQTT-4.4.0-1]: after a reconnect, unacknowledged QoS ≥ 1 publishes go again
 * with their ids and DUP set, PUBRELs go again, oldest first, and each op completes exactly once.
 * A lost session sends none of it again.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MqttSession } from '@astarte-ts/sdk-core'
import { BrokerResponder, Loopback } from './broker-responder.js'

test('a reconnect with session present resends PUBLISH with DUP and the pending PUBREL', () => {
  const broker = new BrokerResponder()
  const loop = new Loopback(new MqttSession(), broker)
  loop.connect(0)
  const payload = Uint8Array.of(0)
  loop.run({ type: 'publish', topic: 'realm/device/a', payload, qos: 1, opId: 1 }, 1)
  loop.run({ type: 'publish', topic: 'realm/device/b', payload, qos: 2, opId: 2 }, 1)
  loop.run({ type: 'publish', topic: 'realm/device/c', payload, qos: 2, opId: 3 }, 1)
  const sent = broker.received.filter((p) => p.cmd === 'publish')
  const ids = sent.map((p) => p.messageId)
  // Only message 3 gets its PUBREC before the connection drops.
  broker.unacked.delete(ids[0] as number)
  broker.unacked.delete(ids[1] as number)
  loop.run({ type: 'bytes', data: broker.ack() }, 2)
  assert.equal(broker.received.at(-1)?.cmd, 'pubrel')
  loop.run({ type: 'closed', error: new Error('reset by peer') }, 3)
  const lost = loop.events.at(-1)
  assert.equal(lost?.type === 'closed' && lost.error?.code, 'remote.mqtt_connection_lost')
  // The work waits in the session; a new connection resumes it.
  broker.reconnect()
  const before = broker.received.length
  loop.connect(10, true)
  const resent = broker.received.slice(before + 1)
  assert.deepEqual(
    resent.map((p) => [p.cmd, p.messageId, p.cmd === 'publish' ? p.dup : undefined]),
    [
      ['publish', ids[0], true],
      ['publish', ids[1], true],
      ['pubrel', ids[2], undefined],
    ],
  )
  loop.run({ type: 'bytes', data: broker.ack() }, 11)
  loop.run({ type: 'bytes', data: broker.ack() }, 12)
  const published = loop.events.filter((e) => e.type === 'published').map((e) => e.opId)
  assert.deepEqual([...published].sort(), [1, 2, 3])
  assert.equal(loop.session.inflightCount, 0)
})

test('queued work waits through a disconnect and flows after a CONNACK with the session', () => {
  const broker = new BrokerResponder()
  const loop = new Loopback(new MqttSession({ maxInflight: 1 }), broker)
  loop.connect(0)
  loop.run({ type: 'publish', topic: 't', payload: Uint8Array.of(1), qos: 1, opId: 1 }, 0)
  loop.run({ type: 'publish', topic: 't', payload: Uint8Array.of(2), qos: 1, opId: 2 }, 0)
  loop.run({ type: 'disconnect' }, 1)
  assert.equal(broker.received.at(-1)?.cmd, 'disconnect')
  assert.deepEqual(loop.events.at(-1), { type: 'closed' })
  loop.run({ type: 'publish', topic: 't', payload: Uint8Array.of(3), qos: 0, opId: 3 }, 2)
  assert.equal(loop.session.queuedCount, 2)
  broker.reconnect()
  broker.unacked.clear()
  loop.connect(3, true)
  for (let t = 4; broker.unacked.size > 0; t++) loop.run({ type: 'bytes', data: broker.ack() }, t)
  // QoS 0 completes when written, QoS 1 when acked; on the wire the order is kept.
  const published = loop.events.filter((e) => e.type === 'published').map((e) => e.opId)
  assert.deepEqual([...published].sort(), [1, 2, 3])
  assert.deepEqual(
    broker.accepted.map((b) => b[0]),
    [1, 1, 2, 3],
  )
})

test('a lost session: nothing carried over is sent again, what the server owns completes', () => {
  const broker = new BrokerResponder()
  const loop = new Loopback(new MqttSession({ maxInflight: 2 }), broker)
  loop.connect(0)
  const publish = (opId: number, qos: 1 | 2, nowMs: number) =>
    loop.run({ type: 'publish', topic: 't', payload: Uint8Array.of(opId), qos, opId }, nowMs)
  publish(1, 1, 0)
  publish(2, 2, 0)
  publish(3, 1, 0)
  // the PUBREC of 2 comes, the PUBACK of 1 does not; 3 waits for a slot
  broker.unacked.delete(broker.unacked.keys().next().value as number)
  loop.run({ type: 'bytes', data: broker.ack() }, 1)
  loop.run({ type: 'closed', error: new Error('reset by peer') }, 2)
  // accepted while no connection was: new to any session
  publish(4, 1, 3)
  broker.reconnect()
  broker.unacked.clear()
  const before = broker.received.length
  loop.connect(4, false)
  const connected = loop.events.filter((e) => e.type === 'connected').at(-1)
  assert.deepEqual(connected, { type: 'connected', sessionPresent: false, dropped: [1, 3] })
  const after = broker.received.slice(before + 1)
  assert.deepEqual(
    after.map((p) => [p.cmd, p.cmd === 'publish' ? (p['payload'] as Buffer)[0] : undefined]),
    [['publish', 4]],
    'no DUP, no PUBREL, nothing dropped',
  )
  loop.run({ type: 'bytes', data: broker.ack() }, 5)
  const published = loop.events.filter((e) => e.type === 'published').map((e) => e.opId)
  assert.deepEqual(published, [2, 4])
  assert.equal(loop.session.inflightCount + loop.session.queuedCount, 0)
})

test('after any number of losses, resumed exchanges go out oldest first, before newer ones', () => {
  const broker = new BrokerResponder()
  const loop = new Loopback(new MqttSession({ maxInflight: 3 }), broker)
  loop.connect(0)
  const publish = (opId: number, nowMs: number) =>
    loop.run({ type: 'publish', topic: 't', payload: Uint8Array.of(opId), qos: 2, opId }, nowMs)
  for (const opId of [1, 2, 3]) publish(opId, 0)
  const idOf = new Map(
    broker.received
      .filter((p) => p.cmd === 'publish')
      .map((p) => [(p['payload'] as Buffer)[0] as number, p.messageId as number]),
  )
  loop.run({ type: 'closed' }, 1)
  broker.reconnect()
  broker.unacked.clear()
  loop.connect(2, true)
  // resumed; only 2 gets its PUBREC, and newer ones queue behind the full window
  broker.unacked.clear()
  broker.unacked.set(idOf.get(2) as number, 'pubrec')
  loop.run({ type: 'bytes', data: broker.ack() }, 3)
  publish(4, 3)
  publish(5, 3)
  loop.run({ type: 'closed' }, 4)
  broker.reconnect()
  const before = broker.received.length
  loop.connect(5, true)
  const resent = broker.received.slice(before + 1)
  assert.deepEqual(
    resent.map((p) => [p.cmd, p.messageId]),
    [
      ['publish', idOf.get(1)],
      ['pubrel', idOf.get(2)],
      ['publish', idOf.get(3)],
    ],
  )
  for (let t = 6; broker.unacked.size > 0; t++) loop.run({ type: 'bytes', data: broker.ack() }, t)
  const fresh = broker.received.slice(before + 1).filter((p) => p.cmd === 'publish' && !p.dup)
  assert.deepEqual(
    fresh.map((p) => (p['payload'] as Buffer)[0]),
    [4, 5],
  )
  const published = loop.events.filter((e) => e.type === 'published').map((e) => e.opId)
  assert.deepEqual([...published].sort(), [1, 2, 3, 4, 5])
})
