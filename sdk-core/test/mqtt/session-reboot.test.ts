/**
 * A session that outlives a reboot [MQTT-3.1.2-4]: with an `MqttSessionStore`, a new
 * `MqttSession` (the rebooted device) starts from the records the old one left, resumes on a
 * present session exactly what was in flight (PUBLISH with DUP and its id, PUBREL past PUBREC),
 * delivers a redelivered incoming QoS 2 message once, and lets the caller's re-publication of a
 * message adopt the exchange instead of sending it twice. The records' bytes are golden.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MqttSession, type MqttSessionStore } from '@astarte-ts/sdk-core'
import { BrokerResponder, Loopback, serverBytes } from './broker-responder.js'

/** Records in memory, as flash would keep them across the reboot; counts the writes. */
class MemorySessionStore implements MqttSessionStore {
  readonly records = new Map<number, Uint8Array>()
  puts = 0
  load(): [number, Uint8Array][] {
    return [...this.records].map(([k, r]) => [k, r.slice()])
  }
  put(key: number, record: Uint8Array): void {
    this.puts++
    this.records.set(key, record.slice())
  }
  delete(key: number): void {
    this.records.delete(key)
  }
}

const topic = 'realm/device/org.Events/e'
const publish = (loop: Loopback, opId: number, payload: number, qos: 1 | 2, nowMs = 0): void =>
  loop.run({ type: 'publish', topic, payload: Uint8Array.of(payload), qos, opId }, nowMs)
const opIds = (loop: Loopback, type: 'published' | 'message'): unknown[] =>
  loop.events.filter((e) => e.type === type).map((e) => (e.type === 'published' ? e.opId : e))

test('the records, byte for byte: a QoS 2 publish through its stages, the incoming QoS 2 ids', () => {
  const saved = new MemorySessionStore()
  const broker = new BrokerResponder()
  const loop = new Loopback(new MqttSession({ sessionStore: saved }), broker)
  loop.connect(0)
  loop.run({ type: 'publish', topic: 't', payload: Uint8Array.of(7), qos: 2, opId: 1 }, 0)
  const publishRecord = [
    0x34 /* PUBLISH qos 2, DUP clear: not released */,
    0x06 /* remaining length */,
    ...[0x00, 0x01, 0x74] /* topic "t" */,
    ...[0x00, 0x01] /* packet id 1 */,
    0x07 /* payload */,
  ]
  // record 1: the first publish sent
  assert.deepEqual([...saved.records], [[1, Uint8Array.from(publishRecord)]])
  broker.unacked.clear()
  loop.run({ type: 'bytes', data: serverBytes({ cmd: 'pubrec', messageId: 1 }) }, 1)
  assert.deepEqual(
    saved.records.get(1),
    Uint8Array.from([0x3c /* PUBLISH qos 2, DUP set: released */, ...publishRecord.slice(1)]),
  )
  // a repeated PUBREC writes nothing
  loop.run({ type: 'bytes', data: serverBytes({ cmd: 'pubrec', messageId: 1 }) }, 1)
  assert.equal(saved.puts, 2)
  loop.run({ type: 'bytes', data: serverBytes({ cmd: 'pubcomp', messageId: 1 }) }, 2)
  assert.deepEqual([...saved.records], [])

  const incoming = { cmd: 'publish', topic: 't', payload: Buffer.of(1), qos: 2, messageId: 0x0102 }
  loop.run({ type: 'bytes', data: serverBytes(incoming) }, 3)
  assert.deepEqual(saved.records.get(0), Uint8Array.of(0x01, 0x02) /* id 0x0102, u16 BE */)
  loop.run({ type: 'bytes', data: serverBytes({ cmd: 'pubrel', messageId: 0x0102 }) }, 4)
  assert.deepEqual(saved.records.get(0), new Uint8Array(0))
  assert.equal(saved.puts, 4)
})

test('a reboot past PUBREC: PUBREL goes again with its id, the re-publish adopts it, one message', () => {
  const saved = new MemorySessionStore()
  const broker = new BrokerResponder()
  const first = new Loopback(new MqttSession({ sessionStore: saved }), broker)
  first.connect(0)
  publish(first, 1, 41, 2)
  publish(first, 2, 42, 2)
  publish(first, 3, 43, 1)
  const ids = broker.received.filter((p) => p.cmd === 'publish').map((p) => p.messageId as number)
  // 41's PUBREC comes (PUBREL goes out, its PUBCOMP never arrives); 42 and 43 get no ack
  broker.unacked.clear()
  first.run({ type: 'bytes', data: serverBytes({ cmd: 'pubrec', messageId: ids[0] }) }, 1)
  assert.equal(broker.received.at(-1)?.cmd, 'pubrel')
  assert.deepEqual(
    broker.accepted.map((b) => b[0]),
    [41, 42, 43],
  )

  // the power goes; the rebooted device's session starts from the records
  broker.reconnect()
  broker.unacked.clear()
  broker.unacked.set(ids[1] as number, 'pubrec')
  const second = new Loopback(new MqttSession({ sessionStore: saved }), broker)
  assert.equal(second.session.inflightCount, 3)
  const before = broker.received.length
  second.connect(10, true)
  assert.deepEqual(
    broker.received.slice(before + 1).map((p) => [p.cmd, p.messageId, p.dup]),
    [
      ['pubrel', ids[0], false],
      ['publish', ids[1], true],
      ['publish', ids[2], true],
    ],
  )
  // the broker completes 41 and 43 before the device re-publishes its stored rows
  broker.unacked.set(ids[0] as number, 'pubcomp')
  broker.unacked.set(ids[2] as number, 'puback')
  second.run({ type: 'bytes', data: broker.ack() }, 11)
  // no caller of this run owns them yet: they complete under their restored op ids
  assert.deepEqual(opIds(second, 'published'), [-1, -3])
  // the device's stored queue publishes all three again, and a new one
  publish(second, 11, 41, 2, 12)
  publish(second, 12, 42, 2, 12)
  publish(second, 13, 43, 1, 12)
  publish(second, 14, 44, 2, 12)
  // 41 and 43 completed already: adopted and reported at once; 42 waits for its exchange
  assert.deepEqual(opIds(second, 'published'), [-1, -3, 11, 13])
  for (let t = 13; broker.unacked.size > 0; t++)
    second.run({ type: 'bytes', data: broker.ack() }, t)
  assert.deepEqual(opIds(second, 'published'), [-1, -3, 11, 13, 12, 14])
  // each QoS 2 message once; 43, QoS 1, also as its DUP resend (at least once [MQTT-4.3.2])
  assert.deepEqual(
    broker.accepted.map((b) => b[0]),
    [41, 42, 43, 43, 44],
  )
  assert.deepEqual([...saved.records.keys()], [])
})

test('a reboot awaiting PUBREL: the redelivered QoS 2 message is not delivered again', () => {
  const saved = new MemorySessionStore()
  const first = new Loopback(new MqttSession({ sessionStore: saved }), new BrokerResponder())
  first.connect(0)
  const message = { cmd: 'publish', topic: 't', payload: Buffer.of(9), qos: 2, messageId: 7 }
  first.run({ type: 'bytes', data: serverBytes(message) }, 1)
  assert.equal(opIds(first, 'message').length, 1)

  const broker = new BrokerResponder()
  const second = new Loopback(new MqttSession({ sessionStore: saved }), broker)
  second.connect(10, true)
  // our PUBREC was lost with the reboot: the broker sends the message again, DUP set
  second.run({ type: 'bytes', data: serverBytes({ ...message, dup: true }) }, 11)
  assert.deepEqual(opIds(second, 'message'), [])
  const answer = broker.received.at(-1)
  assert.deepEqual([answer?.cmd, answer?.messageId], ['pubrec', 7])
  second.run({ type: 'bytes', data: serverBytes({ cmd: 'pubrel', messageId: 7 }) }, 12)
  assert.equal(broker.received.at(-1)?.cmd, 'pubcomp')
  // released: the id is new again, for a new message
  second.run({ type: 'bytes', data: serverBytes(message) }, 13)
  assert.equal(opIds(second, 'message').length, 1)
})

test('a reboot, then a lost session: what the server owns completes, the rest goes as new', () => {
  const saved = new MemorySessionStore()
  const broker = new BrokerResponder()
  const first = new Loopback(new MqttSession({ sessionStore: saved }), broker)
  first.connect(0)
  publish(first, 1, 41, 2)
  publish(first, 2, 42, 2)
  first.run({ type: 'bytes', data: serverBytes({ cmd: 'pubrec', messageId: 1 }) }, 1)
  const incoming = { cmd: 'publish', topic: 't', payload: Buffer.of(9), qos: 2, messageId: 5 }
  first.run({ type: 'bytes', data: serverBytes(incoming) }, 1)

  broker.forgetSession()
  const second = new Loopback(new MqttSession({ sessionStore: saved }), broker)
  const before = broker.received.length
  second.connect(10, false)
  assert.deepEqual(second.events[0], { type: 'connected', sessionPresent: false, dropped: [-2] })
  assert.equal(broker.received.length, before + 1, 'only CONNECT: nothing of the old session')
  assert.deepEqual([...saved.records], [[0, new Uint8Array(0)]])
  // 41 the server owns (PUBREC came): its re-publish is adopted; 42 goes out as a new message
  publish(second, 11, 41, 2, 11)
  publish(second, 12, 42, 2, 11)
  assert.deepEqual(opIds(second, 'published'), [-1, 11])
  for (let t = 12; broker.unacked.size > 0; t++)
    second.run({ type: 'bytes', data: broker.ack() }, t)
  assert.deepEqual(opIds(second, 'published'), [-1, 11, 12])
  assert.deepEqual(
    broker.accepted.map((b) => b[0]),
    [41, 42, 42],
    'the broker forgot 42 itself',
  )
  // the incoming id went with the session: the same id is a new message
  second.run({ type: 'bytes', data: serverBytes(incoming) }, 20)
  assert.equal(opIds(second, 'message').length, 1)
})

test('a record that is not one of ours is dropped; the others resume in first-send order', () => {
  const saved = new MemorySessionStore()
  const broker = new BrokerResponder()
  const first = new Loopback(new MqttSession({ sessionStore: saved, maxInflight: 3 }), broker)
  first.connect(0)
  for (const n of [1, 2, 3]) publish(first, n, n, 1)
  // ids roll on across the wrap: the record's number, not the id, says which went first
  const first1 = saved.records.get(1) as Uint8Array
  // PUBLISH, remaining length, topic length × 2, topic, then the packet id
  const at = 4 + topic.length
  saved.put(1, Uint8Array.from([...first1.subarray(0, at), 0xff, 0xff, ...first1.subarray(at + 2)]))
  // a torn record: a PUBLISH cut inside its topic
  saved.put(9, Uint8Array.of(0x32, 0x09, 0x00, 0x05, 0x61))
  broker.forgetSession()
  const second = new Loopback(new MqttSession({ sessionStore: saved }), broker)
  assert.equal(saved.records.has(9), false)
  const before = broker.received.length
  second.connect(1, true)
  assert.deepEqual(
    broker.received.slice(before + 1).map((p) => [p.messageId, (p['payload'] as Buffer)[0]]),
    [
      [65535, 1],
      [2, 2],
      [3, 3],
    ],
  )
})
