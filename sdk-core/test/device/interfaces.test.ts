import assert from 'node:assert/strict'
import { test } from 'node:test'
import { META_INTROSPECTION, encodeIntrospection, encodePayload } from '@astarte-ts/sdk-core'
import { iface } from '../protocol/fixtures.js'
import { P, allInterfaces, harness, ifaces, individual, text } from './harness.js'

test('adding a server interface online: subscribe, new introspection, no emptyCache', () => {
  const h = harness({ interfaces: allInterfaces.filter((i) => i !== ifaces.srvStream) })
  h.lb.feed({ type: 'start' })
  const mark = h.astarte.transcript.length
  h.lb.holdAcks = true
  h.lb.feed({ type: 'addInterface', iface: ifaces.srvStream })
  const after = h.astarte.transcript.slice(mark)
  const summary = after.map((e) =>
    e.type === 'publish' ? [e.type, e.topic, text(e.payload)] : [e.type],
  )
  assert.deepEqual(summary, [['subscribe'], ['publish', P, encodeIntrospection(allInterfaces)]])
  assert.notEqual(
    h.store.meta.get(META_INTROSPECTION),
    encodeIntrospection(allInterfaces),
    'recorded only once acknowledged',
  )
  h.lb.releaseAcks()
  assert.equal(h.store.meta.get(META_INTROSPECTION), encodeIntrospection(allInterfaces))
  h.astarte.sendToDevice(
    'org.srv.Stream',
    '/x/value',
    encodePayload(individual(ifaces.srvStream, '/x/value', 3)),
    1,
  )
  assert.deepEqual(
    h.lb.eventsOf('serverData').map((e) => e.value),
    [3],
  )
})

test('removing interfaces: new introspection, cache and queued data dropped', () => {
  const h = harness()
  h.store.properties.set({
    interfaceName: 'org.srv.Props',
    major: 1,
    path: '/a/value',
    ownership: 'server',
    payload: Uint8Array.from([1]),
  })
  h.lb.feed({ type: 'start' })
  h.lb.feed({ type: 'stop' })
  h.send(individual(ifaces.stored, '/s/value', 1))
  h.lb.feed({ type: 'start' })
  const before = h.astarte.received.length
  h.lb.dropConnection()
  h.lb.feed({ type: 'removeInterface', name: 'org.srv.Props' })
  h.lb.feed({ type: 'removeInterface', name: 'org.dev.Stored' })
  assert.equal(h.store.properties.get('org.srv.Props', '/a/value'), undefined)
  h.lb.advance(60_000)
  const remaining = allInterfaces.filter(
    (i) => i.name !== 'org.srv.Props' && i.name !== 'org.dev.Stored',
  )
  assert.deepEqual(
    h.astarte.introspection.map((e) => e.name).sort(),
    remaining.map((i) => i.name).sort(),
  )
  assert.ok(
    !h.astarte.received.slice(before).some((m) => m.topic.startsWith(`${P}/org.dev.Stored/`)),
  )
})

test('removing a server interface while online unsubscribes it', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.feed({ type: 'removeInterface', name: 'org.srv.Stream' })
  assert.deepEqual(h.astarte.transcript.at(-2), {
    type: 'unsubscribe',
    filters: [`${P}/org.srv.Stream/#`],
  })
  assert.ok(!h.astarte.subscriptions.has(`${P}/org.srv.Stream/#`))
})

test('a new major drops the cached properties of the old one', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.send(individual(ifaces.devProps, '/p/value', 1))
  const v2 = iface('org.dev.Props', { type: 'properties', ownership: 'device', major: 2 }, [
    { endpoint: '/%{id}/value' },
  ])
  h.lb.feed({ type: 'addInterface', iface: v2 })
  assert.equal(h.store.properties.get('org.dev.Props', '/p/value'), undefined)
  assert.ok(h.astarte.introspection.some((e) => e.name === 'org.dev.Props' && e.major === 2))
})

test('sending on an interface no longer introspected fails with local.unknown_interface', () => {
  const h = harness()
  h.lb.feed({ type: 'removeInterface', name: 'org.dev.Stored' })
  const op = h.send(individual(ifaces.stored, '/s/value', 1))
  assert.deepEqual(
    h.lb.eventsOf('sendFailed').map((e) => [e.opId, e.error.code]),
    [[op, 'local.unknown_interface']],
  )
})
