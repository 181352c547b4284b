/**
 * Payload properties over all 14 types, individual and object, with and without `t`: bytes equal
 * js-bson's `serialize`, decodePayload inverts encodePayload, and decodePayload never throws.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { serialize } from 'bson'
import {
  decodeBson,
  decodePayload,
  encodePayload,
  validateIndividual,
  validateObject,
  validateUnset,
  type AstarteType,
} from '@astarte-ts/sdk-core'
import { fcOptions, fuzzOptions } from '../bson/fc-config.js'
import { arbMutatedBytes } from '../bson/arbitraries.js'
import { arbSample, arbTimestamp } from './arbitraries.js'
import {
  astarteTypes,
  individualPlain,
  individualStream,
  objectPlain,
  objectStream,
  properties,
} from './interfaces.js'

const arbIndividual = fc
  .constantFrom(...astarteTypes)
  .chain((type) =>
    fc.tuple(fc.constant(type), arbSample(type), fc.option(arbTimestamp, { nil: undefined })),
  )
  // An empty binaryblob needs `t` (spec §2.2 quirk; validateIndividual refuses it otherwise).
  .filter(
    ([type, s, t]) =>
      type !== 'binaryblob' || t !== undefined || (s.value as Uint8Array).length > 0,
  )

test('individual payloads: same bytes as js-bson, and decode gives the value back', () => {
  fc.assert(
    fc.property(arbIndividual, ([type, sample, timestamp]) => {
      const iface = timestamp === undefined ? individualPlain : individualStream
      const path = `/s1/${type}`
      const v = validateIndividual(
        iface,
        path,
        sample.value,
        timestamp === undefined ? {} : { timestamp },
      )
      if (!v.ok) return assert.fail(JSON.stringify(v.error))
      const bytes = encodePayload(v.value)
      const doc = new Map<string, unknown>([['v', sample.jsBson]])
      if (timestamp !== undefined) doc.set('t', timestamp)
      assert.deepEqual(bytes, new Uint8Array(serialize(doc)))
      const d = decodePayload(iface, path, bytes)
      if (!d.ok || d.value.kind !== 'individual') return assert.fail(JSON.stringify(d))
      assert.deepEqual(d.value.value, sample.decoded)
      assert.deepEqual(d.value.timestamp, timestamp)
    }),
    fcOptions,
  )
})

const arbObject = fc.tuple(
  fc
    .subarray([...astarteTypes])
    .chain((types) => fc.tuple(...types.map((t) => arbSample(t).map((s) => [t, s] as const)))),
  fc.option(arbTimestamp, { nil: undefined }),
)

test('object payloads: same bytes as js-bson, and decode gives the value back', () => {
  fc.assert(
    fc.property(arbObject, ([entries, timestamp]) => {
      const iface = timestamp === undefined ? objectPlain : objectStream
      const value = Object.fromEntries(entries.map(([t, s]) => [t, s.value]))
      const v = validateObject(iface, '/s1', value, timestamp === undefined ? {} : { timestamp })
      if (!v.ok) return assert.fail(JSON.stringify(v.error))
      const bytes = encodePayload(v.value)
      const inner = new Map<string, unknown>(entries.map(([t, s]) => [t, s.jsBson]))
      const doc = new Map<string, unknown>([['v', inner]])
      if (timestamp !== undefined) doc.set('t', timestamp)
      assert.deepEqual(bytes, new Uint8Array(serialize(doc)))
      const d = decodePayload(iface, '/s1', bytes)
      if (!d.ok || d.value.kind !== 'object') return assert.fail(JSON.stringify(d))
      assert.deepEqual(d.value.value, Object.fromEntries(entries.map(([t, s]) => [t, s.decoded])))
      assert.deepEqual(d.value.timestamp, timestamp)
    }),
    fcOptions,
  )
})

const targets = [
  ...astarteTypes.map((t: AstarteType) => ({ iface: individualStream, path: `/s/${t}` })),
  { iface: objectStream, path: '/s' },
  { iface: properties, path: '/p/unsettable' },
  { iface: properties, path: '/p/fixed' },
  { iface: individualPlain, path: '/no/such/path' },
]
const arbTarget = fc.constantFrom(...targets)
const arbDirection = fc.constantFrom('device-to-server' as const, 'server-to-device' as const)

test('decodePayload never throws for random bytes', () => {
  fc.assert(
    fc.property(arbTarget, fc.uint8Array({ maxLength: 48 }), arbDirection, (t, bytes, dir) => {
      const r = decodePayload(t.iface, t.path, bytes, dir)
      assert.equal(typeof r.ok, 'boolean')
    }),
    fuzzOptions,
  )
})

test('decodePayload never throws for mutated documents', () => {
  fc.assert(
    fc.property(arbTarget, arbMutatedBytes, arbDirection, (t, bytes, dir) => {
      const r = decodePayload(t.iface, t.path, bytes, dir)
      assert.equal(typeof r.ok, 'boolean')
    }),
    fuzzOptions,
  )
})

test('validators never throw for any value', () => {
  const arbValue = fc.oneof(
    fc.anything({
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withNullPrototype: true,
    }),
    ...astarteTypes.map((t) => arbSample(t).map((s) => s.value)),
  )
  fc.assert(
    fc.property(
      arbTarget,
      fc.oneof(fc.constantFrom(...targets.map((t) => t.path)), fc.string()),
      arbValue,
      fc.option(fc.date(), { nil: undefined }),
      (t, path, value, timestamp) => {
        const options = timestamp === undefined ? {} : { timestamp }
        for (const r of [
          validateIndividual(t.iface, path, value, options),
          validateObject(t.iface, path, value, options),
          validateUnset(t.iface, path),
        ]) {
          assert.equal(typeof r.ok, 'boolean')
          if (!r.ok) assert.ok(r.error.length > 0)
        }
      },
    ),
    fcOptions,
  )
})

const undecodable = (bytes: Uint8Array): boolean => {
  try {
    decodeBson(bytes)
    return false
  } catch {
    return true
  }
}

test('decodePayload refuses as undecodable_bson_payload whatever the strict BSON decoder refuses (spec §2.1)', () => {
  const arbBytes = fc.oneof(arbMutatedBytes, fc.uint8Array({ minLength: 1, maxLength: 48 }))
  fc.assert(
    fc.property(arbTarget, arbBytes, arbDirection, (t, bytes, dir) => {
      fc.pre(bytes.length > 0 && t.path !== '/no/such/path' && undecodable(bytes))
      const r = decodePayload(t.iface, t.path, bytes, dir)
      assert.ok(!r.ok, 'accepted a payload the strict decoder refuses')
      assert.deepEqual(
        r.error.map((i) => i.code),
        ['undecodable_bson_payload'],
      )
    }),
    fuzzOptions,
  )
})
