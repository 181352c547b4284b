/**
 * The in-flight window against a slow-acking broker: 100 000 QoS 1 publishes each delivered and
 * acknowledged exactly once, no packet id reused in flight, nothing dropped with all 65 535 ids
 * in flight.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MqttSession, DEFAULT_MAX_INFLIGHT } from '@astarte-ts/sdk-core'
import { BrokerResponder, Loopback } from './broker-responder.js'

const payloadOf = (i: number): Uint8Array => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, i)
  return b
}
const indexOf = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, 4).getUint32(0)

test('100 000 QoS 1 publishes through a slow-acking broker: each delivered and acked once', () => {
  const total = 100_000
  const loop = new Loopback(new MqttSession(), new BrokerResponder())
  let now = 0
  loop.connect(now)
  for (let i = 0; i < total; i++) {
    const payload = payloadOf(i)
    loop.run({ type: 'publish', topic: 'realm/device/i/p', payload, qos: 1, opId: i }, now)
  }
  assert.equal(loop.session.inflightCount, DEFAULT_MAX_INFLIGHT)
  assert.equal(loop.session.queuedCount, total - DEFAULT_MAX_INFLIGHT)
  // A slow peer: 0..12 acks per round, in order [MQTT-4.6.0-2].
  let seed = 42
  while (loop.broker.unacked.size > 0) {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff
    const acks = loop.broker.ack(seed % 13)
    now += 1
    if (acks.length > 0) loop.run({ type: 'bytes', data: acks }, now)
    assert.ok(loop.session.inflightCount <= DEFAULT_MAX_INFLIGHT)
  }
  const published = loop.events.filter((e) => e.type === 'published').map((e) => e.opId)
  assert.equal(published.length, total)
  assert.equal(new Set(published).size, total)
  assert.deepEqual(
    loop.broker.accepted.map(indexOf),
    Array.from({ length: total }, (_, i) => i),
  )
  assert.equal(loop.session.queuedCount, 0)
  assert.equal(loop.session.inflightCount, 0)
})

test('with all 65 535 ids in flight more publishes wait, and a freed id is the one reused', () => {
  const loop = new Loopback(new MqttSession({ maxInflight: 65_535 }), new BrokerResponder())
  loop.connect(0)
  const total = 65_535 + 10
  for (let i = 0; i < total; i++) {
    loop.run({ type: 'publish', topic: 't', payload: payloadOf(i), qos: 1, opId: i }, 0)
  }
  assert.equal(loop.session.inflightCount, 65_535)
  assert.equal(loop.session.queuedCount, 10)
  const ids = loop.broker.received.filter((p) => p.cmd === 'publish').map((p) => p.messageId)
  assert.equal(new Set(ids).size, 65_535)
  const firstId = loop.broker.unacked.keys().next().value
  const before = loop.broker.received.length
  loop.run({ type: 'bytes', data: loop.broker.ack(1) }, 1)
  const next = loop.broker.received.slice(before)
  assert.equal(next.length, 1)
  assert.equal(next[0]?.messageId, firstId)
  assert.equal(loop.session.queuedCount, 9)
  loop.run({ type: 'bytes', data: loop.broker.ack() }, 2)
  loop.run({ type: 'bytes', data: loop.broker.ack() }, 3)
  assert.equal(loop.events.filter((e) => e.type === 'published').length, total)
  assert.deepEqual(
    loop.broker.accepted.map(indexOf),
    Array.from({ length: total }, (_, i) => i),
  )
})
