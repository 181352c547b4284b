/** DUP's receiver rules (spec §2.2, §2.3) and the validators' quirks, one case each. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Binary, Double, Int32, Long, serialize } from 'bson'
import {
  decodePayload,
  encodePayload,
  validateIndividual,
  validateObject,
  validateUnset,
  type Result,
} from '@astarte-ts/sdk-core'
import {
  iface,
  individualPlain,
  individualStream,
  mapping,
  objectStream,
  properties,
} from './interfaces.js'

const bytes = (doc: Record<string, unknown>): Uint8Array => new Uint8Array(serialize(doc))
const codes = (r: Result<unknown>): string[] => (r.ok ? [] : r.error.map((i) => i.code))
const valueOf = (r: ReturnType<typeof decodePayload>): unknown => {
  if (!r.ok) return assert.fail(JSON.stringify(r.error))
  return r.value.kind === 'unset' ? 'unset' : r.value.value
}

test('integer and longinteger minimums are refused (spec §2.3 quirk)', () => {
  assert.deepEqual(codes(validateIndividual(individualPlain, '/s/integer', -(2 ** 31))), [
    'unexpected_value_type',
  ])
  assert.equal(validateIndividual(individualPlain, '/s/integer', -(2 ** 31) + 1).ok, true)
  assert.deepEqual(codes(validateIndividual(individualPlain, '/s/longinteger', -(2n ** 63n))), [
    'unexpected_value_type',
  ])
  assert.deepEqual(
    codes(decodePayload(individualPlain, '/s/integer', bytes({ v: new Int32(-(2 ** 31)) }))),
    ['unexpected_value_type'],
  )
  assert.deepEqual(
    codes(decodePayload(individualPlain, '/s/longinteger', bytes({ v: Long.MIN_VALUE }))),
    ['unexpected_value_type'],
  )
})

test('longinteger accepts int32 and int64; double accepts int32/int64; integer accepts int64 in range', () => {
  assert.equal(
    valueOf(
      decodePayload(
        individualPlain,
        '/s/longinteger',
        bytes({ v: new Int32(7) }),
        'server-to-device',
      ),
    ),
    7n,
  )
  assert.equal(valueOf(decodePayload(individualPlain, '/s/double', bytes({ v: new Int32(5) }))), 5)
  assert.equal(
    valueOf(decodePayload(individualPlain, '/s/double', bytes({ v: Long.fromNumber(2 ** 40) }))),
    2 ** 40,
  )
  assert.equal(
    valueOf(decodePayload(individualPlain, '/s/integer', bytes({ v: Long.fromNumber(-12) }))),
    -12,
  )
  assert.deepEqual(
    codes(decodePayload(individualPlain, '/s/integer', bytes({ v: Long.fromNumber(2 ** 31) }))),
    ['unexpected_value_type'],
  )
  assert.deepEqual(
    codes(decodePayload(individualPlain, '/s/integer', bytes({ v: new Double(1) }))),
    ['unexpected_value_type'],
  )
})

test('double is always emitted as 0x01 and longinteger as 0x12', () => {
  const d = validateIndividual(individualPlain, '/s/double', 5)
  const l = validateIndividual(individualPlain, '/s/longinteger', 5)
  assert.ok(d.ok && l.ok)
  assert.deepEqual(encodePayload(d.value), bytes({ v: new Double(5) }))
  assert.deepEqual(encodePayload(l.value), bytes({ v: Long.fromNumber(5) }))
})

test('non-finite doubles are refused both ways', () => {
  assert.deepEqual(codes(validateIndividual(individualPlain, '/s/double', NaN)), [
    'unexpected_value_type',
  ])
  assert.deepEqual(
    codes(decodePayload(individualPlain, '/s/double', bytes({ v: new Double(Infinity) }))),
    ['unexpected_value_type'],
  )
})

test('empty payload: unset on allow_unset properties, errors elsewhere (spec §2.2)', () => {
  const empty = new Uint8Array(0)
  assert.equal(valueOf(decodePayload(properties, '/p/unsettable', empty)), 'unset')
  assert.deepEqual(codes(decodePayload(properties, '/p/fixed', empty)), ['unset_not_allowed'])
  assert.deepEqual(codes(decodePayload(individualPlain, '/s/integer', empty)), [
    'unset_on_datastream',
  ])
  assert.deepEqual(codes(decodePayload(objectStream, '/s', empty)), ['unexpected_value_type'])
  const u = validateUnset(properties, '/p/unsettable')
  assert.ok(u.ok)
  assert.equal(encodePayload(u.value).length, 0)
  assert.deepEqual(codes(validateUnset(properties, '/p/fixed')), ['unset_not_allowed'])
  assert.deepEqual(codes(validateUnset(individualPlain, '/s/integer')), ['unset_on_datastream'])
})

test('{"v": <empty binary>} alone is an unset [quirk]; with "t" it is a value', () => {
  const blob = iface('org.example.Blob', [mapping('/b', 'binaryblob', { allowUnset: true })], {
    type: 'properties',
  })
  assert.equal(
    valueOf(decodePayload(blob, '/b', bytes({ v: new Binary(new Uint8Array(0)) }))),
    'unset',
  )
  const withT = bytes({ v: new Binary(new Uint8Array(0)), t: new Date(0) })
  assert.deepEqual(valueOf(decodePayload(blob, '/b', withT)), new Uint8Array(0))
  assert.deepEqual(codes(validateIndividual(blob, '/b', new Uint8Array(0))), [
    'empty_binaryblob_is_unset',
  ])
})

test('"t" counts only as BSON datetime and only with explicit_timestamp; "m" and unknown keys are ignored', () => {
  const at = new Date(1537449422890)
  const withT = decodePayload(
    individualStream,
    '/s/integer',
    bytes({ v: new Int32(1), t: at, m: { a: 1 } }),
  )
  assert.ok(withT.ok && withT.value.kind === 'individual')
  assert.deepEqual(withT.value.timestamp, at)
  const intT = decodePayload(
    individualStream,
    '/s/integer',
    bytes({ v: new Int32(1), t: Long.fromNumber(5) }),
  )
  assert.ok(intT.ok && intT.value.kind === 'individual')
  assert.equal(intT.value.timestamp, undefined)
  const plain = decodePayload(individualPlain, '/s/integer', bytes({ v: new Int32(1), t: at }))
  assert.ok(plain.ok && plain.value.kind === 'individual')
  assert.equal(plain.value.timestamp, undefined)
})

test('timestamp rule of the validators (spec §2.2 SDK)', () => {
  assert.deepEqual(codes(validateIndividual(individualStream, '/s/integer', 1)), [
    'missing_timestamp',
  ])
  assert.deepEqual(
    codes(validateIndividual(individualPlain, '/s/integer', 1, { timestamp: new Date() })),
    ['unexpected_timestamp'],
  )
  assert.deepEqual(
    codes(validateIndividual(individualStream, '/s/integer', 1, { timestamp: new Date(NaN) })),
    ['invalid_timestamp'],
  )
})

test('objects: unknown key, missing required key, subset allowed', () => {
  const req = iface(
    'org.example.Req',
    [mapping('/%{s}/a', 'integer', { required: true }), mapping('/%{s}/b', 'string')],
    { aggregation: 'object' },
  )
  assert.equal(validateObject(req, '/x', { a: 1 }).ok, true)
  assert.deepEqual(codes(validateObject(req, '/x', { b: 'z' })), ['missing_required_mapping'])
  assert.deepEqual(codes(validateObject(req, '/x', { a: 1, c: 2 })), ['unexpected_object_key'])
  assert.deepEqual(codes(decodePayload(req, '/x', bytes({ v: { b: 'z' } }))), [
    'missing_required_mapping',
  ])
  assert.deepEqual(codes(decodePayload(req, '/x', bytes({ v: { a: new Int32(1), c: 2 } }))), [
    'unexpected_object_key',
  ])
  assert.deepEqual(valueOf(decodePayload(req, '/x', bytes({ v: { a: new Int32(1) } }))), { a: 1 })
})

test('failed validations say where: every issue of an object with its key path, in key order', () => {
  const req = iface(
    'org.example.Req',
    [mapping('/%{s}/a', 'integer', { required: true }), mapping('/%{s}/b', 'string')],
    { aggregation: 'object' },
  )
  const issues = (r: Result<unknown>) =>
    r.ok ? [] : r.error.map(({ code, path }) => ({ code, path }))
  assert.deepEqual(issues(validateObject(req, '/x', { b: 1, c: true, d: 'z' })), [
    { code: 'unexpected_value_type', path: '/x/b' },
    { code: 'unexpected_object_key', path: '/x/c' },
    { code: 'unexpected_object_key', path: '/x/d' },
    { code: 'missing_required_mapping', path: '/x' },
  ])
  assert.deepEqual(issues(validateIndividual(individualPlain, '/s/integer', 'one')), [
    { code: 'unexpected_value_type', path: '/s/integer' },
  ])
  const withTimestamp = { timestamp: new Date(0) }
  assert.deepEqual(
    issues(validateIndividual(individualPlain, '/s/integer', 'one', withTimestamp)),
    [
      { code: 'unexpected_value_type', path: '/s/integer' },
      { code: 'unexpected_timestamp', path: '/s/integer' },
    ],
  )
  const array = validateIndividual(individualPlain, '/s/integerarray', [1, 'two'])
  assert.ok(!array.ok)
  assert.deepEqual(array.error[0]?.path, '/s/integerarray')
  assert.match(array.error[0]?.message ?? '', /^element 1: /)
})

test('sizes: strings and blobs up to 65 536 bytes, arrays up to 1024 elements', () => {
  assert.equal(validateIndividual(individualPlain, '/s/string', 'é'.repeat(32768)).ok, true)
  assert.deepEqual(codes(validateIndividual(individualPlain, '/s/string', 'é'.repeat(32769))), [
    'value_size_exceeded',
  ])
  assert.deepEqual(
    codes(validateIndividual(individualPlain, '/s/binaryblob', new Uint8Array(65537))),
    ['value_size_exceeded'],
  )
  assert.equal(
    validateIndividual(individualPlain, '/s/integerarray', new Array(1024).fill(1)).ok,
    true,
  )
  assert.deepEqual(
    codes(validateIndividual(individualPlain, '/s/integerarray', new Array(1025).fill(1))),
    ['value_size_exceeded'],
  )
  assert.equal(validateIndividual(individualPlain, '/s/stringarray', []).ok, true)
  const longString = bytes({ v: 'x'.repeat(65537) })
  assert.deepEqual(codes(decodePayload(individualPlain, '/s/string', longString)), [
    'value_size_exceeded',
  ])
})

test('malformed bytes and type mismatches', () => {
  assert.deepEqual(codes(decodePayload(individualPlain, '/s/integer', Uint8Array.of(1, 2, 3))), [
    'undecodable_bson_payload',
  ])
  assert.deepEqual(codes(decodePayload(individualPlain, '/s/integer', bytes({ v: 'x' }))), [
    'unexpected_value_type',
  ])
  assert.deepEqual(codes(decodePayload(individualPlain, '/s/integer', bytes({ w: 1 }))), [
    'unexpected_value_type',
  ])
  assert.deepEqual(codes(decodePayload(individualPlain, '/a/b/c', bytes({ v: 1 }))), [
    'mapping_not_found',
  ])
  // A mismatching value must still be well-formed: bad UTF-8 inside it is undecodable.
  const bad = bytes({ v: 'ab' })
  bad[11] = 0xff
  assert.deepEqual(codes(decodePayload(individualPlain, '/s/integer', bad)), [
    'undecodable_bson_payload',
  ])
  const subtype = bytes({ v: new Binary(Uint8Array.of(1), 0x07) })
  assert.deepEqual(codes(decodePayload(individualPlain, '/s/binaryblob', subtype)), [
    'unexpected_value_type',
  ])
})

test('datetime: D→S also accepts integers; S→D only BSON datetime', () => {
  const asInt = bytes({ v: Long.fromNumber(1000) })
  assert.deepEqual(valueOf(decodePayload(individualPlain, '/s/datetime', asInt)), new Date(1000))
  assert.deepEqual(
    codes(decodePayload(individualPlain, '/s/datetime', asInt, 'server-to-device')),
    ['unexpected_value_type'],
  )
})

test('an object key named __proto__ stays a plain own key both ways', () => {
  const odd = iface(
    'org.example.Odd',
    [mapping('/%{s}/__proto__', 'integer'), mapping('/%{s}/b', 'integer')],
    { aggregation: 'object' },
  )
  const value = JSON.parse('{"__proto__": 1, "b": 2}') as Record<string, unknown>
  const v = validateObject(odd, '/x', value)
  if (!v.ok) return assert.fail(JSON.stringify(v.error))
  const d = decodePayload(odd, '/x', encodePayload(v.value))
  if (!d.ok || d.value.kind !== 'object') return assert.fail(JSON.stringify(d))
  assert.deepEqual(Object.keys(d.value.value), ['__proto__', 'b'])
  assert.equal(Object.getPrototypeOf(d.value.value), Object.prototype)
})

test('a root key that is not UTF-8 makes the payload undecodable, even a key the decoder ignores (spec §2.1)', () => {
  // {"v": 1, "\xff": 2}: `\xff` is an ignored key, but Astarte's strict decoder refuses the document
  const doc = bytes({ v: new Int32(1), x: new Int32(2) })
  doc[doc.indexOf(0x78)] = 0xff
  for (const direction of ['device-to-server', 'server-to-device'] as const) {
    const r = decodePayload(individualPlain, '/s/integer', doc, direction)
    assert.deepEqual(codes(r), ['undecodable_bson_payload'])
  }
  // a multi-byte UTF-8 key stays an ignored key
  const accented = decodePayload(individualPlain, '/s/integer', bytes({ v: new Int32(1), é: 2 }))
  assert.equal(valueOf(accented), 1)
})
