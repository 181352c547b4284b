/** QoS 2 both ways, incoming QoS 0/1, subscribe and unsubscribe, through the session. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MqttSession, decodePacket, encodePacket } from '@astarte-ts/sdk-core'
import { BrokerResponder, Loopback, serverBytes, split } from './broker-responder.js'

test('outgoing QoS 2: PUBLISH → PUBREC → PUBREL → PUBCOMP, then published once', () => {
  const loop = new Loopback(new MqttSession(), new BrokerResponder())
  loop.connect(0)
  const payload = Uint8Array.of(1, 2, 3)
  loop.run({ type: 'publish', topic: 'realm/device/p', payload, qos: 2, opId: 7 }, 0)
  const publish = loop.broker.received.at(-1)
  assert.equal(publish?.cmd, 'publish')
  const id = publish.messageId as number
  loop.run({ type: 'bytes', data: loop.broker.ack() }, 1)
  const pubrel = loop.broker.received.at(-1)
  assert.deepEqual([pubrel?.cmd, pubrel?.messageId], ['pubrel', id])
  assert.equal(loop.events.filter((e) => e.type === 'published').length, 0)
  loop.run({ type: 'bytes', data: loop.broker.ack() }, 2)
  assert.deepEqual(loop.events.slice(-1), [{ type: 'published', opId: 7 }])
  assert.equal(loop.session.inflightCount, 0)
  assert.deepEqual(
    loop.broker.accepted.map((b) => [...b]),
    [[1, 2, 3]],
  )
})

test('incoming QoS 2: delivered once per id until PUBREL, each PUBLISH answered by PUBREC', () => {
  const session = new MqttSession()
  const loop = new Loopback(session, new BrokerResponder())
  loop.connect(0)
  const topic = 'realm/device/s'
  const publish = { cmd: 'publish', topic, payload: Buffer.from('x'), qos: 2, messageId: 9 }
  const first = split(session.handle({ type: 'bytes', data: serverBytes(publish) }, 1))
  const dup = serverBytes({ ...publish, dup: true })
  const again = split(session.handle({ type: 'bytes', data: dup }, 2))
  const messages = [...first.events, ...again.events].filter((e) => e.type === 'message')
  const payload = Uint8Array.from(Buffer.from('x'))
  assert.deepEqual(messages, [{ type: 'message', topic, payload, qos: 2, retain: false }])
  for (const w of [...first.writes, ...again.writes]) {
    assert.deepEqual(decodePacket(w), { type: 'pubrec', packetId: 9 })
  }
  const pubrel = serverBytes({ cmd: 'pubrel', messageId: 9 })
  const rel = split(session.handle({ type: 'bytes', data: pubrel }, 3))
  assert.deepEqual(
    rel.writes.map((w) => decodePacket(w)),
    [{ type: 'pubcomp', packetId: 9 }],
  )
  // Released: the same id now carries a new message.
  const next = split(session.handle({ type: 'bytes', data: serverBytes(publish) }, 4))
  assert.equal(next.events.filter((e) => e.type === 'message').length, 1)
})

test('incoming QoS 1 is acked with PUBACK after delivery; QoS 0 needs no answer', () => {
  const session = new MqttSession()
  new Loopback(session, new BrokerResponder()).connect(0)
  const a = Buffer.from('a')
  const q1 = { cmd: 'publish', topic: 't/1', payload: a, qos: 1, messageId: 3, retain: true }
  const q0 = { cmd: 'publish', topic: 't/0', payload: Buffer.from('b'), qos: 0 }
  const actions = session.handle({ type: 'bytes', data: serverBytes(q1, q0) }, 1)
  const seen = actions.map((x) =>
    x.type === 'write' ? decodePacket(x.bytes) : x.type === 'event' ? x.event : x.type,
  )
  assert.deepEqual(seen, [
    { type: 'message', topic: 't/1', payload: Uint8Array.from(a), qos: 1, retain: true },
    { type: 'puback', packetId: 3 },
    { type: 'message', topic: 't/0', payload: Uint8Array.of(0x62), qos: 0, retain: false },
  ])
})

test('subscribe and unsubscribe complete on SUBACK and UNSUBACK with the granted codes', () => {
  const session = new MqttSession()
  new Loopback(session, new BrokerResponder()).connect(0)
  const subscriptions = [
    { topic: 'realm/device/a/#', qos: 2 as const },
    { topic: 'other/#', qos: 2 as const },
  ]
  const sub = split(session.handle({ type: 'subscribe', subscriptions, opId: 1 }, 1))
  const subscribe = decodePacket(sub.writes[0]!)
  assert.equal(subscribe.type, 'subscribe')
  assert.deepEqual(subscribe.type === 'subscribe' && subscribe.subscriptions, subscriptions)
  const packetId = subscribe.type === 'subscribe' ? subscribe.packetId : 0
  const suback = encodePacket({ type: 'suback', packetId, granted: [2, 0x80] })
  assert.deepEqual(split(session.handle({ type: 'bytes', data: suback }, 2)).events, [
    { type: 'subscribed', opId: 1, granted: [2, 0x80] },
  ])
  const unsub = split(session.handle({ type: 'unsubscribe', topics: ['other/#'], opId: 2 }, 3))
  const unsubscribe = decodePacket(unsub.writes[0]!)
  assert.equal(unsubscribe.type, 'unsubscribe')
  const unsubId = unsubscribe.type === 'unsubscribe' ? unsubscribe.packetId : 0
  const unsuback = encodePacket({ type: 'unsuback', packetId: unsubId })
  assert.deepEqual(split(session.handle({ type: 'bytes', data: unsuback }, 4)).events, [
    { type: 'unsubscribed', opId: 2 },
  ])
})
