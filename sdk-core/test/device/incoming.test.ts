import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodePayload } from '@astarte-ts/sdk-core'
import type { StoredProperty } from '@astarte-ts/sdk-core'
import { P, harness, ifaces, individual, object } from './harness.js'

const cached = (path: string, payload: Uint8Array): StoredProperty => ({
  interfaceName: 'org.srv.Props',
  major: 1,
  path,
  ownership: 'server',
  payload,
})

test('emptyCache answer: purge drops unlisted server properties, values refresh the cache', () => {
  const h = harness()
  const kept = encodePayload(individual(ifaces.srvProps, '/kept/value', 1))
  const fresh = encodePayload(individual(ifaces.srvProps, '/kept/value', 2))
  h.store.properties.set(cached('/kept/value', kept))
  h.store.properties.set(cached('/gone/value', kept))
  h.astarte.serverProperties.set('org.srv.Props/kept/value', fresh)
  h.lb.feed({ type: 'start' })
  assert.deepEqual(h.store.properties.get('org.srv.Props', '/kept/value')?.payload, fresh)
  assert.equal(h.store.properties.get('org.srv.Props', '/gone/value'), undefined)
  assert.deepEqual(h.lb.eventsOf('serverUnset'), [
    { type: 'serverUnset', interfaceName: 'org.srv.Props', path: '/gone/value' },
  ])
  assert.deepEqual(h.lb.eventsOf('serverData'), [
    { type: 'serverData', interfaceName: 'org.srv.Props', path: '/kept/value', value: 2 },
  ])
})

test('server data, objects and unsets become events; properties update the cache', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.astarte.sendToDevice(
    'org.srv.Stream',
    '/x/value',
    encodePayload(individual(ifaces.srvStream, '/x/value', 42)),
    1,
  )
  h.astarte.sendToDevice(
    'org.srv.Object',
    '/o',
    encodePayload(object(ifaces.srvObject, '/o', { a: 1.5, b: 'hi' })),
    2,
  )
  h.astarte.setServerProperty(
    'org.srv.Props',
    '/p/value',
    encodePayload(individual(ifaces.srvProps, '/p/value', 3)),
  )
  assert.ok(h.store.properties.get('org.srv.Props', '/p/value'))
  h.astarte.unsetServerProperty('org.srv.Props', '/p/value')
  assert.equal(h.store.properties.get('org.srv.Props', '/p/value'), undefined)
  assert.deepEqual(
    h.lb.events.filter((e) => e.type.startsWith('server')),
    [
      { type: 'serverData', interfaceName: 'org.srv.Stream', path: '/x/value', value: 42 },
      {
        type: 'serverObject',
        interfaceName: 'org.srv.Object',
        path: '/o',
        value: { a: 1.5, b: 'hi' },
      },
      { type: 'serverData', interfaceName: 'org.srv.Props', path: '/p/value', value: 3 },
      { type: 'serverUnset', interfaceName: 'org.srv.Props', path: '/p/value' },
    ],
  )
})

test('server messages queued by the persistent session arrive after reconnecting', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.dropConnection()
  h.astarte.sendToDevice(
    'org.srv.Stream',
    '/x/value',
    encodePayload(individual(ifaces.srvStream, '/x/value', 5)),
    1,
  )
  h.astarte.sendToDevice(
    'org.srv.Stream',
    '/x/value',
    encodePayload(individual(ifaces.srvStream, '/x/value', 6)),
    0,
  )
  h.lb.advance(60_000)
  assert.deepEqual(
    h.lb.eventsOf('serverData').map((e) => e.value),
    [5],
    'QoS 0 is not queued offline',
  )
})

test('bad payloads are serverDataError events and the device keeps running', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  const badBson = Uint8Array.from([1, 2, 3])
  // a double on an integer mapping
  const wrongType = encodePayload(individual(ifaces.srvProps, '/p/value', 1.5))
  h.astarte.sendToDevice('org.srv.Stream', '/x/value', badBson, 1)
  h.astarte.sendToDevice('org.srv.Stream', '/x/value', wrongType, 1)
  h.astarte.sendToDevice(
    'org.srv.Stream',
    '/no/such/path',
    encodePayload(individual(ifaces.srvStream, '/x/value', 1)),
    1,
  )
  const errors = h.lb.eventsOf('serverDataError')
  assert.deepEqual(
    errors.map((e) => e.path),
    ['/x/value', '/x/value', '/no/such/path'],
  )
  assert.ok(errors.every((e) => e.issues.length > 0))
  h.astarte.sendToDevice(
    'org.srv.Stream',
    '/x/value',
    encodePayload(individual(ifaces.srvStream, '/x/value', 7)),
    1,
  )
  assert.deepEqual(
    h.lb.eventsOf('serverData').map((e) => e.value),
    [7],
  )
  assert.equal(h.machine.state.tag, 'online')
})

test('unknown interfaces, device-owned ones and malformed purge lists are warnings', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.astarte.subscribe([`${P}/#`])
  h.astarte.sendToDevice('org.unknown.X', '/a', Uint8Array.from([5, 0, 0, 0, 0]), 1)
  h.astarte.sendToDevice(
    'org.dev.Stored',
    '/s/value',
    encodePayload(individual(ifaces.stored, '/s/value', 1)),
    1,
  )
  h.astarte.sendToDevice('control', '/consumer/properties', Uint8Array.from([0, 0, 0, 9, 1, 2]), 2)
  const warnings = h.lb.eventsOf('warning')
  assert.equal(warnings.length, 3)
  assert.deepEqual(
    warnings.slice(0, 2).map((w) => w.ctx?.['interfaceName']),
    ['org.unknown.X', 'org.dev.Stored'],
  )
  assert.match(warnings[2]!.message, /purge/)
  assert.equal(h.machine.state.tag, 'online')
})

test('a message the transport reports while the device says goodbye is still handled', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  const now = h.lb.clock.now()
  // the goodbye is decided, not yet performed: the connection may still report what it read
  const stop = h.machine.handle({ type: 'stop' }, now)
  assert.ok(stop.some((a) => a.type === 'mqtt.disconnect'))
  assert.equal(h.machine.state.tag, 'stopping')
  const payload = encodePayload(individual(ifaces.srvProps, '/late/value', 7))
  const actions = h.machine.handle(
    { type: 'mqtt.message', topic: `${P}/org.srv.Props/late/value`, payload },
    now,
  )
  assert.deepEqual(h.store.properties.get('org.srv.Props', '/late/value')?.payload, payload)
  assert.deepEqual(
    actions.flatMap((a) => (a.type === 'event' ? [a.event] : [])),
    [{ type: 'serverData', interfaceName: 'org.srv.Props', path: '/late/value', value: 7 }],
  )
})
