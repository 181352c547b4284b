import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decideRetention, expiresAt, isExpired, qosFor, retentionOf } from '@astarte-ts/sdk-core'
import type { Reliability, Retention } from '@astarte-ts/sdk-core'
import { iface, mapping } from './fixtures.js'

// spec §3.5 table
const QOS: ReadonlyArray<[Reliability, 0 | 1 | 2]> = [
  ['unreliable', 0],
  ['guaranteed', 1],
  ['unique', 2],
]

test('datastream QoS follows reliability; properties are always QoS 2', () => {
  for (const [reliability, qos] of QOS) {
    const stream = iface('d.S', { type: 'datastream', ownership: 'device' }, [
      { endpoint: '/a', reliability },
    ])
    assert.equal(qosFor(stream, stream.mappings[0]), qos)
    const props = iface('d.P', { type: 'properties', ownership: 'device' })
    assert.equal(qosFor(props, props.mappings[0]), 2)
    const obj = iface('d.O', { type: 'datastream', ownership: 'device', aggregation: 'object' }, [
      { endpoint: '/%{id}/a', reliability },
      { endpoint: '/%{id}/b', reliability },
    ])
    assert.equal(qosFor(obj), qos, 'objects use the common reliability')
  }
})

test('retention decides the queue; discard is dropped only offline', () => {
  const cases: ReadonlyArray<[Retention, boolean, string]> = [
    ['stored', true, 'queueStored'],
    ['stored', false, 'queueStored'],
    ['volatile', true, 'queueVolatile'],
    ['volatile', false, 'queueVolatile'],
    ['discard', true, 'publish'],
    ['discard', false, 'drop'],
  ]
  for (const [retention, online, decision] of cases) {
    const stream = iface('d.S', { type: 'datastream', ownership: 'device' }, [
      { endpoint: '/a', retention },
    ])
    assert.equal(decideRetention(stream, stream.mappings[0], online).type, decision)
  }
  const prop = iface('d.P', { type: 'properties', ownership: 'device' })
  assert.equal(retentionOf(prop), 'stored')
  assert.equal(decideRetention(prop, prop.mappings[0], false).type, 'queueStored')
})

test('expiry is relative to creation; 0 never expires', () => {
  assert.equal(expiresAt(mapping('/a', { expiry: 0 }), 1000), null)
  assert.equal(expiresAt(mapping('/a', { expiry: 30 }), 1000), 31_000)
  assert.equal(isExpired({ expiresMs: null }, Number.MAX_SAFE_INTEGER), false)
  assert.equal(isExpired({ expiresMs: 31_000 }, 30_999), false)
  assert.equal(isExpired({ expiresMs: 31_000 }, 31_000), true)
})
