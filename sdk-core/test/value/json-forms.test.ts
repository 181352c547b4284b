/** AppEngine JSON forms (spec §5), base64 against node's Buffer, ISO dates against Date. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  base64Decode,
  base64Encode,
  base64UrlDecode,
  base64UrlEncode,
  parseIsoDate,
  valueFromJson,
  valueToJson,
} from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'
import { arbSample } from './arbitraries.js'
import { astarteTypes } from './interfaces.js'

/** JSON has no -0: it reads back as 0. */
const withoutNegativeZero = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(withoutNegativeZero) : Object.is(v, -0) ? 0 : v

test('valueFromJson(valueToJson(v)) gives v back (longinteger as bigint), through JSON text', () => {
  const arb = fc.constantFrom(...astarteTypes).chain((t) => fc.tuple(fc.constant(t), arbSample(t)))
  fc.assert(
    fc.property(arb, ([type, sample]) => {
      const json: unknown = JSON.parse(JSON.stringify(valueToJson(type, sample.value)))
      const back = valueFromJson(type, json)
      if (!back.ok) return assert.fail(JSON.stringify(back.error))
      assert.deepEqual(back.value, withoutNegativeZero(sample.decoded))
    }),
    fcOptions,
  )
})

test('JSON forms of spec §5', () => {
  assert.equal(valueToJson('longinteger', 45543543534n), '45543543534')
  assert.equal(valueToJson('binaryblob', Uint8Array.of(104, 105)), 'aGk=')
  assert.equal(valueToJson('datetime', new Date(1537449422890)), '2018-09-20T13:17:02.890Z')
  assert.deepEqual(valueFromJson('longinteger', 12), { ok: true, value: 12n })
  assert.deepEqual(valueFromJson('longinteger', '-9223372036854775807'), {
    ok: true,
    value: -(2n ** 63n) + 1n,
  })
  assert.equal(valueFromJson('longinteger', '-9223372036854775808').ok, false)
  assert.equal(valueFromJson('longinteger', '1.5').ok, false)
  assert.deepEqual(valueFromJson('double', 3), { ok: true, value: 3 })
  assert.deepEqual(valueFromJson('datetime', 1000), { ok: true, value: new Date(1000) })
  assert.deepEqual(valueFromJson('datetime', '2018-09-20T15:17:02.89+02:00'), {
    ok: true,
    value: new Date(1537449422890),
  })
  assert.equal(valueFromJson('binaryblob', 'aGk').ok, false)
  assert.equal(valueFromJson('integer', 2 ** 31).ok, false)
  assert.equal(valueFromJson('integerarray', [1, '2']).ok, false)
  assert.equal(valueFromJson('stringarray', 'x').ok, false)
})

test('valueFromJson never throws for any JSON-ish input', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...astarteTypes),
      fc.anything({ withBigInt: true }),
      (type, json) => {
        assert.equal(typeof valueFromJson(type, json).ok, 'boolean')
      },
    ),
    fcOptions,
  )
})

test('base64 and base64url match node Buffer and decode strictly', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const b64 = Buffer.from(bytes).toString('base64')
      assert.equal(base64Encode(bytes), b64)
      assert.deepEqual(base64Decode(b64), bytes)
      const url = Buffer.from(bytes).toString('base64url')
      assert.equal(base64UrlEncode(bytes), url)
      assert.deepEqual(base64UrlDecode(url), bytes)
    }),
    fcOptions,
  )
  for (const bad of ['a', 'aGk', 'aGl=', 'aG k=', 'aGk==', '====', 'a=Gk'])
    assert.equal(base64Decode(bad), undefined, bad)
  assert.equal(base64UrlDecode('AJInS0w3VpWpuOqkXhgZdB'), undefined)
})

test('parseIsoDate agrees with Date on ISO strings and refuses non-dates', () => {
  fc.assert(
    fc.property(
      fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z') }),
      (d) => {
        assert.deepEqual(parseIsoDate(d.toISOString()), d)
      },
    ),
    fcOptions,
  )
  for (const bad of [
    '2024-02-30T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T00:00:00',
    '2024-01-01',
    'now',
  ]) {
    assert.equal(parseIsoDate(bad), undefined, bad)
  }
  assert.deepEqual(
    parseIsoDate('2024-01-01 00:00:00.123456-01:30'),
    new Date(Date.UTC(2024, 0, 1, 1, 30, 0, 123)),
  )
})
