import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SdkError, decodePayload, encodePayload } from '@astarte-ts/sdk-core'
import type { WirePublish } from '@astarte-ts/runtime-testing'
import { MemoryStore } from '@astarte-ts/runtime-testing'
import { P, harness, ifaces, individual, unset } from './harness.js'

const dataOf = (received: readonly WirePublish[], interfaceName: string): WirePublish[] =>
  received.filter((m) => m.topic.startsWith(`${P}/${interfaceName}/`))

const valueOf = (m: WirePublish): unknown => {
  const path = m.topic.slice(m.topic.indexOf('/', P.length + 1))
  const iface = Object.values(ifaces).find((i) => m.topic.startsWith(`${P}/${i.name}/`))
  assert.ok(iface)
  const d = decodePayload(iface, path, m.payload)
  assert.ok(d.ok && d.value.kind === 'individual')
  return d.value.value
}

// {"v": <double>}: the value sits at byte 7 (spec §2.4 layout); checked against the decoder below
const fastDouble = (m: WirePublish): number =>
  new DataView(m.payload.buffer, m.payload.byteOffset).getFloat64(7, true)

test('stored data queued offline is released after the sync, in order, removed only on ack', () => {
  const h = harness()
  for (let n = 0; n < 5; n++) h.send(individual(ifaces.stored, '/s/value', n))
  assert.equal(h.lb.eventsOf('sendCompleted').length, 5, 'stored sends complete on durable enqueue')
  h.lb.holdAcks = true
  h.lb.feed({ type: 'start' })
  h.lb.releaseAcks() // the sync
  const sent = dataOf(h.astarte.received, 'org.dev.Stored')
  assert.deepEqual(sent.map(valueOf), [0, 1, 2, 3, 4])
  assert.ok(sent.every((m) => m.qos === 1))
  const syncEnd = h.astarte.received.findIndex(
    (m) => m.topic === `${P}/control/producer/properties`,
  )
  const firstData = h.astarte.received.findIndex((m) => m.topic.startsWith(`${P}/org.dev.Stored/`))
  assert.ok(syncEnd < firstData, 'queued data only after the sync')
  assert.equal(h.store.storedQueue.count(), 5, 'nothing removed before its ack')
  h.lb.releaseAcks(2)
  assert.equal(h.store.storedQueue.count(), 3)
  h.lb.releaseAcks()
  assert.equal(h.store.storedQueue.count(), 0)
})

test('in-flight stored messages survive a dropped connection and are replayed', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.holdAcks = true
  for (let n = 0; n < 3; n++) h.send(individual(ifaces.stored, '/s/value', n))
  h.lb.releaseAcks(1)
  h.lb.dropConnection()
  h.lb.holdAcks = false
  h.lb.advance(60_000)
  const values = dataOf(h.astarte.received, 'org.dev.Stored').map(valueOf)
  assert.deepEqual(
    values,
    [0, 1, 2, 1, 2],
    'unacknowledged ones are sent again (QoS 1 duplicates allowed)',
  )
  assert.equal(h.store.storedQueue.count(), 0)
})

test('stored data survives a process restart', () => {
  const first = harness()
  first.send(individual(ifaces.stored, '/s/value', 41))
  const second = harness({ store: first.store.restart() })
  second.lb.feed({ type: 'start' })
  assert.deepEqual(dataOf(second.astarte.received, 'org.dev.Stored').map(valueOf), [41])
})

test('expired queued messages are dropped, never sent', () => {
  const h = harness()
  h.send(individual(ifaces.expiring, '/e/value', 1))
  h.lb.advance(9_000)
  h.send(individual(ifaces.expiring, '/e/value', 2))
  h.send(individual(ifaces.volatile, '/v/value', 3))
  h.lb.advance(1_000) // the first is now 10 s old: expired; the others are 1 s old
  h.lb.feed({ type: 'start' })
  assert.deepEqual(dataOf(h.astarte.received, 'org.dev.Expiring').map(valueOf), [2])
  assert.equal(dataOf(h.astarte.received, 'org.dev.Expiring')[0]?.qos, 2)
  assert.deepEqual(dataOf(h.astarte.received, 'org.dev.Volatile').map(valueOf), [3])
  assert.equal(h.machine.metrics().queued, 0)
})

test('volatile data lives in memory: kept across reconnects, lost on restart', () => {
  const h = harness()
  h.send(individual(ifaces.volatile, '/v/value', 1))
  assert.equal(h.store.volatileQueue.count(), 1)
  assert.equal(h.store.restart().volatileQueue.count(), 0)
  h.lb.feed({ type: 'start' })
  assert.deepEqual(dataOf(h.astarte.received, 'org.dev.Volatile').map(valueOf), [1])
})

test('discard: dropped offline (local.offline_discarded), completes on ack online', () => {
  const h = harness()
  const offline = h.send(individual(ifaces.guaranteed, '/g/value', 1))
  const failed = h.lb.eventsOf('sendFailed')
  assert.deepEqual(
    failed.map((e) => [e.opId, e.error.code]),
    [[offline, 'local.offline_discarded']],
  )
  assert.equal(h.machine.metrics().dropped, 1)
  h.lb.feed({ type: 'start' })
  h.lb.holdAcks = true
  const online = h.send(individual(ifaces.guaranteed, '/g/value', 2))
  assert.ok(!h.lb.eventsOf('sendCompleted').some((e) => e.opId === online))
  h.lb.releaseAcks()
  assert.ok(h.lb.eventsOf('sendCompleted').some((e) => e.opId === online))
})

test('discard sends unacknowledged when the connection drops: local.connection_lost', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.holdAcks = true
  const op = h.send(individual(ifaces.guaranteed, '/g/value', 1))
  h.lb.dropConnection()
  assert.deepEqual(
    h.lb.eventsOf('sendFailed').map((e) => [e.opId, e.error.code]),
    [[op, 'local.connection_lost']],
  )
})

test('properties: cached with their major, unchanged skipped, unset = empty payload', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  const mark = h.astarte.received.length
  h.send(individual(ifaces.devProps, '/p/value', 1.25))
  h.send(individual(ifaces.devProps, '/p/value', 1.25))
  h.send(unset(ifaces.devProps, '/p/value'))
  h.send(unset(ifaces.devProps, '/p/value'))
  const sent = h.astarte.received.slice(mark)
  assert.deepEqual(
    sent.map((m) => [m.topic, m.payload.length, m.qos]),
    [
      [
        `${P}/org.dev.Props/p/value`,
        encodePayload(individual(ifaces.devProps, '/p/value', 1.25)).length,
        2,
      ],
      [`${P}/org.dev.Props/p/value`, 0, 2],
    ],
  )
  assert.equal(h.store.properties.get('org.dev.Props', '/p/value'), undefined)
  assert.equal(h.lb.eventsOf('sendCompleted').length, 4)
})

test('device properties changed offline are published after a session-present reconnect', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.dropConnection()
  h.send(individual(ifaces.devProps, '/p/value', 9.5))
  h.lb.advance(60_000)
  assert.ok(h.astarte.deviceProperties.has('org.dev.Props/p/value'))
  assert.ok(
    !h.astarte.transcript.slice(3).some((e) => e.type === 'subscribe'),
    'no full sync was needed',
  )
})

test('backpressure: 100 000 guaranteed messages, ≤ maxInflight in flight, once, in order', () => {
  const h = harness({ maxInflight: 100 })
  h.lb.feed({ type: 'start' })
  h.lb.holdAcks = true
  const total = 100_000
  for (let n = 0; n < total; n++) h.send(individual(ifaces.guaranteed, '/g/value', n))
  let maxSeen = 0
  while (h.lb.heldAcks > 0) {
    maxSeen = Math.max(maxSeen, h.machine.metrics().inflight)
    assert.ok(h.lb.heldAcks <= 100)
    h.lb.releaseAcks(37)
  }
  assert.equal(maxSeen, 100)
  const sent = dataOf(h.astarte.received, 'org.dev.Guaranteed')
  assert.equal(sent.length, total)
  assert.equal(fastDouble(sent[total - 1]!), valueOf(sent[total - 1]!))
  sent.forEach((m, n) => {
    if (fastDouble(m) !== n) assert.fail(`message ${n} carries ${fastDouble(m)}`)
  })
  const m = h.machine.metrics()
  assert.equal(h.lb.eventsOf('sendCompleted').length, total)
  assert.deepEqual([m.inflight, m.queued, m.dropped], [0, 0, 0])
})

test('backpressure: a 20 000-message stored backlog drains in order through the window', () => {
  const store = new MemoryStore()
  const h = harness({ store, maxInflight: 100 })
  for (let n = 0; n < 20_000; n++) h.send(individual(ifaces.stored, '/s/value', n))
  h.lb.holdAcks = true
  h.lb.feed({ type: 'start' })
  h.lb.releaseAcks() // the sync
  while (h.lb.heldAcks > 0) {
    assert.ok(h.machine.metrics().inflight <= 100)
    h.lb.releaseAcks(100)
  }
  const sent = dataOf(h.astarte.received, 'org.dev.Stored')
  assert.equal(sent.length, 20_000)
  assert.equal(fastDouble(sent[1]!), valueOf(sent[1]!))
  sent.forEach((m, n) => {
    if (fastDouble(m) !== n) assert.fail(`message ${n} carries ${fastDouble(m)}`)
  })
  assert.equal(store.storedQueue.count(), 0)
})

test('publishes the transport resumes on a present session are not re-published', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.resumeInflight = true
  h.lb.holdAcks = true
  for (let n = 0; n < 3; n++) h.send(individual(ifaces.expiring, '/e/value', n))
  h.lb.releaseAcks(1)
  h.lb.dropConnection()
  h.send(individual(ifaces.expiring, '/e/value', 3))
  h.lb.advance(60_000)
  assert.equal(h.machine.metrics().inflight, 3, 'two resumed, one new')
  h.lb.releaseAcks()
  assert.deepEqual(dataOf(h.astarte.received, 'org.dev.Expiring').map(valueOf), [0, 1, 2, 3])
  assert.equal(h.store.storedQueue.count(), 0)
})

test('a publish that failed as its connection ended can still be resumed by the transport', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.resumeInflight = true
  h.lb.holdAcks = true
  h.send(individual(ifaces.expiring, '/e/value', 0))
  const publishes = h.lb.actions.filter((a) => a.type === 'mqtt.publish')
  const publish = publishes[publishes.length - 1]
  assert.ok(publish?.type === 'mqtt.publish')
  // as a runtime reports it: the transport rejects what is in flight when the connection drops
  const error = new SdkError('remote.connection_lost', "couldn't keep the connection")
  h.lb.feed({ type: 'mqtt.publishFailed', publishId: publish.publishId, error })
  h.lb.dropConnection()
  h.lb.holdAcks = false
  h.lb.advance(60_000)
  assert.deepEqual(dataOf(h.astarte.received, 'org.dev.Expiring').map(valueOf), [0])
  assert.equal(h.store.storedQueue.count(), 0)
})

test('without a session nothing is resumed: the queue replays what was in flight', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.resumeInflight = true
  h.lb.holdAcks = true
  h.send(individual(ifaces.expiring, '/e/value', 0))
  h.astarte.discardSession()
  h.lb.dropConnection()
  h.lb.holdAcks = false
  h.lb.advance(60_000)
  assert.deepEqual(dataOf(h.astarte.received, 'org.dev.Expiring').map(valueOf), [0, 0])
  assert.equal(h.store.storedQueue.count(), 0)
})
