/**
 * Spec §2.4 vectors through the payload API: validate + encodePayload gives the bytes,
 * decodePayload gives the value back, and js-bson (with explicit BSON types) agrees.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serialize } from 'bson'
import {
  decodePayload,
  encodePayload,
  validateIndividual,
  validateObject,
  type AstarteType,
  type Interface,
} from '@astarte-ts/sdk-core'
import { goldenVectors } from '../bson/vectors.js'
import { toJsBson } from '../bson/oracle.js'
import { iface, mapping } from './interfaces.js'

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

interface Case {
  readonly iface: Interface
  readonly path: string
  readonly value: unknown
  readonly timestamp?: Date
}

const one = (type: AstarteType, value: unknown, explicitTimestamp = false): Case => ({
  iface: iface('org.example.Golden', [mapping('/x/value', type, { explicitTimestamp })]),
  path: '/x/value',
  value,
})

/** The Astarte reading of each §2.4 vector, keyed by vector name. */
const cases: Record<string, Case> = {
  '{"v": int32 10}': one('integer', 10),
  '{"v": true}': one('boolean', true),
  '{"v": 16.73, "t": 1537449422890 ms}': {
    ...one('double', 16.73, true),
    timestamp: new Date(1537449422890),
  },
  '{"v": int64 45543543534}': one('longinteger', 45543543534n),
  '{"v": "hi"}': one('string', 'hi'),
  '{"v": binary(0x00) "hello"}': one('binaryblob', ascii('hello')),
  '{"v": [int32 1, int32 2]}': one('integerarray', [1, 2]),
  '{"v": {"hum": 67.112, "temp": 25.3123}}': {
    iface: iface(
      'org.example.Weather',
      [mapping('/%{s}/hum', 'double'), mapping('/%{s}/temp', 'double')],
      {
        aggregation: 'object',
      },
    ),
    path: '/s1',
    value: { hum: 67.112, temp: 25.3123 },
  },
}

function validate(c: Case) {
  const options = c.timestamp === undefined ? {} : { timestamp: c.timestamp }
  const r =
    c.iface.aggregation === 'object'
      ? validateObject(c.iface, c.path, c.value, options)
      : validateIndividual(c.iface, c.path, c.value, options)
  if (!r.ok) assert.fail(JSON.stringify(r.error))
  return r.value
}

for (const [name, document, bytes] of goldenVectors) {
  const c = cases[name]
  assert.ok(c, `no payload case for ${name}`)
  const wire = Uint8Array.from(bytes)
  test(`payload golden ${name}: encode`, () => {
    assert.deepEqual(encodePayload(validate(c)), wire)
  })
  test(`payload golden ${name}: decode`, () => {
    const d = decodePayload(c.iface, c.path, wire)
    if (!d.ok || d.value.kind === 'unset') return assert.fail(JSON.stringify(d))
    assert.deepEqual(d.value.value, c.value)
    assert.deepEqual(d.value.timestamp, c.timestamp)
  })
  test(`payload golden ${name}: round-trip`, () => {
    const d = decodePayload(c.iface, c.path, encodePayload(validate(c)))
    if (!d.ok || d.value.kind === 'unset') return assert.fail(JSON.stringify(d))
    assert.deepEqual(d.value.value, c.value)
  })
  test(`payload golden ${name}: same bytes as js-bson`, () => {
    assert.deepEqual(new Uint8Array(serialize(toJsBson(document))), encodePayload(validate(c)))
  })
}
