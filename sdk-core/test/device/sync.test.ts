import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  META_INTROSPECTION,
  META_SYNCED,
  decodePurgeProperties,
  encodeIntrospection,
  encodePayload,
} from '@astarte-ts/sdk-core'
import { zlibInflater } from '@astarte-ts/runtime-testing'
import { P, allInterfaces, harness, ifaces, individual, text } from './harness.js'

const serverFilters = [
  `${P}/control/consumer/properties`,
  `${P}/org.srv.Props/#`,
  `${P}/org.srv.Stream/#`,
  `${P}/org.srv.Object/#`,
]

test('first connection: subscribe, introspection, emptyCache, properties, purge (§3.4)', () => {
  const h = harness()
  h.send(individual(ifaces.devProps, '/b/value', 2.5))
  h.send(individual(ifaces.devProps, '/a/value', 1.5))
  h.lb.feed({ type: 'start' })
  const t = h.astarte.transcript
  assert.deepEqual(t.slice(0, 2), [
    { type: 'connect', sessionPresent: false },
    { type: 'subscribe', filters: serverFilters },
  ])
  const publishes = t
    .slice(2)
    .map((e) => (e.type === 'publish' ? e : assert.fail(`unexpected ${e.type}`)))
  assert.deepEqual(
    publishes.map((p) => [p.topic, p.qos]),
    [
      [P, 2],
      [`${P}/control/emptyCache`, 2],
      [`${P}/org.dev.Props/a/value`, 2],
      [`${P}/org.dev.Props/b/value`, 2],
      [`${P}/control/producer/properties`, 2],
    ],
  )
  assert.equal(text(publishes[0]!.payload), encodeIntrospection(allInterfaces))
  assert.equal(text(publishes[1]!.payload), '1')
  assert.deepEqual(
    publishes[2]!.payload,
    encodePayload(individual(ifaces.devProps, '/a/value', 1.5)),
  )
  const purge = decodePurgeProperties(publishes[4]!.payload, zlibInflater)
  assert.deepEqual(purge, {
    ok: true,
    value: [
      { interfaceName: 'org.dev.Props', path: '/a/value' },
      { interfaceName: 'org.dev.Props', path: '/b/value' },
    ],
  })
  // the queued property publishes were superseded by the sync's values: not sent again
  assert.equal(h.store.storedQueue.count(), 0)
  assert.equal(h.machine.state.tag, 'online')
  const events = h.lb.events.map((e) => (e.type === 'stateChanged' ? `state:${e.state}` : e.type))
  assert.deepEqual(events, [
    'sendCompleted',
    'sendCompleted',
    'state:connecting',
    'connected',
    'state:syncing',
    'synced',
    'state:online',
  ])
  assert.equal(h.store.meta.get(META_SYNCED), '1')
  assert.equal(h.store.meta.get(META_INTROSPECTION), encodeIntrospection(allInterfaces))
  assert.deepEqual(h.astarte.deviceProperties.size, 2)
})

test('no publish before the suback; data waits until every sync publish is acknowledged', () => {
  const h = harness()
  const actions = h.machine.handle({ type: 'start' }, 0)
  assert.deepEqual(
    actions.map((a) => a.type),
    ['mqtt.connect', 'event'],
  )
  const afterConnack = h.machine.handle({ type: 'mqtt.connected', sessionPresent: false }, 1)
  assert.deepEqual(
    afterConnack.filter((a) => a.type.startsWith('mqtt.')).map((a) => a.type),
    ['mqtt.subscribe'],
  )
  const sub = afterConnack.find((a) => a.type === 'mqtt.subscribe')
  assert.ok(sub?.type === 'mqtt.subscribe')
  const stored = h.machine.handle(
    { type: 'send', opId: 1, data: individual(ifaces.stored, '/s/value', 1) },
    2,
  )
  assert.equal(
    stored.filter((a) => a.type === 'mqtt.publish').length,
    0,
    'queued data waits for the sync',
  )
  const syncPublishes = h.machine
    .handle({ type: 'mqtt.subscribed', requestId: sub.requestId }, 3)
    .filter((a) => a.type === 'mqtt.publish')
  assert.deepEqual(
    syncPublishes.map((a) => a.type === 'mqtt.publish' && a.topic),
    [P, `${P}/control/emptyCache`, `${P}/control/producer/properties`],
  )
  const ids = syncPublishes.map((a) => (a.type === 'mqtt.publish' ? a.publishId : -1))
  for (const publishId of ids.slice(0, -1)) {
    const out = h.machine.handle({ type: 'mqtt.published', publishId }, 4)
    assert.equal(out.filter((a) => a.type === 'mqtt.publish').length, 0)
    assert.equal(h.machine.state.tag, 'syncing')
  }
  const last = h.machine.handle({ type: 'mqtt.published', publishId: ids.at(-1)! }, 5)
  assert.equal(h.machine.state.tag, 'online')
  assert.deepEqual(
    last.filter((a) => a.type === 'mqtt.publish').map((a) => a.type === 'mqtt.publish' && a.topic),
    [`${P}/org.dev.Stored/s/value`],
  )
})

test('reconnect with the session present and synced: no control message, just flush', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.dropConnection()
  assert.equal(h.machine.state.tag, 'backoff')
  h.send(individual(ifaces.stored, '/s/value', 7))
  const mark = h.astarte.transcript.length
  h.lb.advance(60_000)
  assert.equal(h.machine.state.tag, 'online')
  assert.deepEqual(
    h.astarte.transcript.slice(mark).map((e) => (e.type === 'publish' ? e.topic : e.type)),
    ['connect', `${P}/org.dev.Stored/s/value`],
  )
  assert.equal(h.machine.metrics().reconnects, 1)
  assert.equal(h.lb.eventsOf('synced').length, 2)
})

test('reconnect without a session (forced clean): full sync again', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.astarte.discardSession()
  h.lb.dropConnection()
  const mark = h.astarte.transcript.length
  h.lb.advance(60_000)
  const again = h.astarte.transcript
    .slice(mark)
    .map((e) => (e.type === 'publish' ? e.topic : e.type))
  assert.deepEqual(again, [
    'connect',
    'subscribe',
    P,
    `${P}/control/emptyCache`,
    `${P}/control/producer/properties`,
  ])
})

test('an invalid introspection makes Astarte discard the session; the device re-syncs', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.astarte.forceDisconnect('invalid_introspection')
  assert.equal(h.lb.eventsOf('disconnected').length, 1)
  h.lb.advance(60_000)
  assert.equal(h.astarte.transcript.filter((e) => e.type === 'subscribe').length, 2)
  assert.equal(h.machine.state.tag, 'online')
})

test('introspection changed while offline: full sync even with the session present', () => {
  const h = harness({ interfaces: allInterfaces.filter((i) => i.name !== 'org.srv.Object') })
  h.lb.feed({ type: 'start' })
  h.lb.feed({ type: 'stop' })
  assert.equal(h.machine.state.tag, 'idle')
  h.lb.feed({ type: 'addInterface', iface: ifaces.srvObject })
  const mark = h.astarte.transcript.length
  h.lb.feed({ type: 'start' })
  const again = h.astarte.transcript.slice(mark)
  assert.deepEqual(again[0], { type: 'connect', sessionPresent: true })
  assert.deepEqual(again[1], { type: 'subscribe', filters: serverFilters })
  assert.equal(h.astarte.introspection.length, allInterfaces.length)
})

test('a missing synced marker forces a full sync (crash during the previous sync)', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.feed({ type: 'stop' })
  h.store.meta.delete(META_SYNCED)
  const mark = h.astarte.transcript.length
  h.lb.feed({ type: 'start' })
  assert.ok(h.astarte.transcript.slice(mark).some((e) => e.type === 'subscribe'))
})

test('a sync cut short leaves no synced marker, and the next connection redoes it', () => {
  const h = harness()
  h.lb.holdAcks = true
  h.lb.feed({ type: 'start' })
  assert.equal(h.machine.state.tag, 'syncing')
  assert.equal(h.store.meta.get(META_SYNCED), undefined)
  h.lb.dropConnection()
  h.lb.holdAcks = false
  h.lb.advance(60_000)
  assert.equal(h.machine.state.tag, 'online')
  const emptyCache = `${P}/control/emptyCache`
  const sent = h.astarte.received.filter((m) => m.topic === emptyCache)
  assert.equal(sent.length, 2)
})
