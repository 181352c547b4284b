/**
 * Resuming a session [MQTT-4.4.0-1]: after a reconnect, unacknowledged QoS ≥ 1 publishes go again
 * with their ids and DUP set, PUBRELs go again, and each op completes exactly once.
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

test('queued work waits through a disconnect and flows after the next CONNACK', () => {
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
  loop.connect(3, false)
  for (let t = 4; broker.unacked.size > 0; t++) loop.run({ type: 'bytes', data: broker.ack() }, t)
  // QoS 0 completes when written, QoS 1 when acked; on the wire the order is kept.
  const published = loop.events.filter((e) => e.type === 'published').map((e) => e.opId)
  assert.deepEqual([...published].sort(), [1, 2, 3])
  assert.deepEqual(
    broker.accepted.map((b) => b[0]),
    [1, 1, 2, 3],
  )
})
