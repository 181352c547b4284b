import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  applyConsumerPurge,
  decodePurgeProperties,
  deviceTopicPrefix,
  fullSyncPlan,
  interfacesToSubscribe,
  pruneStaleProperties,
  staleFilters,
} from '@astarte-ts/sdk-core'
import type { StoredProperty, TopicPrefix } from '@astarte-ts/sdk-core'
import { MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { DEVICE_ID, REALM, iface } from './fixtures.js'

const prefix = ((): TopicPrefix => {
  const r = deviceTopicPrefix(REALM, DEVICE_ID)
  if (!r.ok) throw new Error('bad prefix')
  return r.value
})()
const P = `${REALM}/${DEVICE_ID}`

const devProps = iface('org.dev.Props', { type: 'properties', ownership: 'device' })
const devStream = iface('org.dev.Stream', { type: 'datastream', ownership: 'device' })
const srvProps = iface('org.srv.Props', { type: 'properties', ownership: 'server', major: 2 })
const srvStream = iface('org.srv.Stream', { type: 'datastream', ownership: 'server' })
const interfaces = [srvStream, devStream, srvProps, devProps]

const stored = (
  interfaceName: string,
  path: string,
  overrides: Partial<StoredProperty> = {},
): StoredProperty => ({
  interfaceName,
  path,
  major: 1,
  ownership: 'device',
  payload: Uint8Array.from([path.length]),
  ...overrides,
})

test('subscriptions: consumer properties and each server-owned interface, nothing else', () => {
  assert.deepEqual(interfacesToSubscribe(prefix, interfaces), [
    `${P}/control/consumer/properties`,
    `${P}/org.srv.Stream/#`,
    `${P}/org.srv.Props/#`,
  ])
})

test('full sync: subscribe, introspection, emptyCache, properties, producer purge (§3.4)', () => {
  const store = new MemoryStore()
  store.properties.set(stored('org.dev.Props', '/b/value'))
  store.properties.set(stored('org.dev.Props', '/a/value'))
  store.properties.set(stored('org.dev.Props', '/old/value', { major: 0 }))
  store.properties.set(stored('org.srv.Props', '/s/value', { ownership: 'server', major: 2 }))
  const plan = fullSyncPlan({
    prefix,
    interfaces,
    properties: store.properties,
    inflater: zlibInflater,
    purgeFormat: 'zlib',
  })
  assert.deepEqual(plan[0], {
    type: 'subscribe',
    filters: interfacesToSubscribe(prefix, interfaces),
    qos: 2,
  })
  const publishes = plan.slice(1).map((s) => {
    assert.equal(s.type, 'publish')
    assert.equal(s.qos, 2)
    return s.type === 'publish' ? s : assert.fail()
  })
  assert.deepEqual(
    publishes.map((s) => s.topic),
    [
      P,
      `${P}/control/emptyCache`,
      `${P}/org.dev.Props/a/value`,
      `${P}/org.dev.Props/b/value`,
      `${P}/control/producer/properties`,
    ],
  )
  const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes)
  assert.equal(
    text(publishes[0]!.payload),
    'org.dev.Props:1:0;org.dev.Stream:1:0;org.srv.Props:2:0;org.srv.Stream:1:0',
  )
  assert.equal(text(publishes[1]!.payload), '1')
  assert.deepEqual(publishes[2]!.payload, Uint8Array.from(['/a/value'.length]))
  assert.deepEqual(decodePurgeProperties(publishes[4]!.payload, zlibInflater), {
    ok: true,
    value: [
      { interfaceName: 'org.dev.Props', path: '/a/value' },
      { interfaceName: 'org.dev.Props', path: '/b/value' },
    ],
  })
})

test('full sync sends the purge list even when no property is set', () => {
  const store = new MemoryStore()
  const plan = fullSyncPlan({
    prefix,
    interfaces: [devStream],
    properties: store.properties,
    inflater: zlibInflater,
    purgeFormat: 'plaintext',
  })
  // plaintext: introspection, capabilities (spec §3.7), emptyCache, purge list
  assert.deepEqual(
    plan.map((s) => s.type),
    ['subscribe', 'publish', 'publish', 'publish', 'publish'],
  )
  const last = plan[4]
  assert.ok(last?.type === 'publish')
  assert.equal(last.topic, `${P}/control/producer/properties`)
  assert.equal(last.payload.length, 0)
})

test('stale cache entries (interface gone, major or ownership changed) are pruned', () => {
  const store = new MemoryStore()
  const keep = [
    stored('org.dev.Props', '/a/value'),
    stored('org.srv.Props', '/s/value', { ownership: 'server', major: 2 }),
  ]
  const stale = [
    stored('org.gone.Props', '/x/value'),
    stored('org.dev.Props', '/m/value', { major: 7 }),
    stored('org.srv.Props', '/o/value', { major: 2 }),
  ]
  for (const p of [...keep, ...stale]) store.properties.set(p)
  assert.deepEqual(pruneStaleProperties(store.properties, interfaces).length, stale.length)
  assert.deepEqual(store.properties.list().length, keep.length)
})

test('consumer purge deletes unlisted server properties of introspected interfaces only', () => {
  const store = new MemoryStore()
  const listed = stored('org.srv.Props', '/listed/value', { ownership: 'server', major: 2 })
  const unlisted = stored('org.srv.Props', '/unlisted/value', { ownership: 'server', major: 2 })
  const foreign = stored('org.other.Props', '/x/value', { ownership: 'server' })
  const device = stored('org.dev.Props', '/a/value')
  for (const p of [listed, unlisted, foreign, device]) store.properties.set(p)
  const purged = applyConsumerPurge(store.properties, interfaces, [
    { interfaceName: 'org.srv.Props', path: '/listed/value' },
    { interfaceName: 'org.unknown.X', path: '/y' },
  ])
  assert.deepEqual(purged, [unlisted])
  assert.equal(store.properties.get('org.srv.Props', '/unlisted/value'), undefined)
  assert.equal(store.properties.list().length, 3)
})

test('stale filters: interfaces of the last introspection no longer subscribed now (§3.3)', () => {
  const last =
    'org.dev.Props:1:0;org.dev.Stream:0:3;org.gone.X:1:0;org.srv.Props:2:0;org.srv.Stream:1:0'
  // org.dev.Stream changed major (it may have been server-owned): unsubscribed with the removed one
  assert.deepEqual(staleFilters(prefix, last, interfaces), [
    `${P}/org.dev.Stream/#`,
    `${P}/org.gone.X/#`,
  ])
  assert.deepEqual(staleFilters(prefix, undefined, interfaces), [])
  assert.deepEqual(staleFilters(prefix, 'not an introspection', interfaces), [])
})
