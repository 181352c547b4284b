/**
 * The Espruino int64 (decimal strings) against BigInt as the oracle: every int64 written and
 * read back byte for byte as DataView's BigInt64 does, and the range checks as Astarte's.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  inLongIntegerRange,
  int64FromInt32,
  int64ToNumber,
  isInt64,
  readInt64,
  writeInt64,
} from '../src/int64.js'

const LIMIT = 2n ** 63n - 1n

test('any 8 bytes read as the decimal of their two-complement value', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
      const expected = new DataView(bytes.buffer).getBigInt64(0, true)
      assert.equal(readInt64(bytes, 0), String(expected))
    }),
    { numRuns: 2000 },
  )
})

test('any int64 written as its little-endian two-complement bytes, and read back', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: LIMIT }), fc.nat(4), (v, at) => {
      const out = new Uint8Array(at + 8)
      assert.equal(writeInt64(out, at, String(v)), true)
      assert.equal(new DataView(out.buffer).getBigInt64(at, true), v)
      assert.equal(readInt64(out, at), String(v))
    }),
    { numRuns: 2000 },
  )
})

test('edges: 0, ±2^53 around the exact-double range, ±(2^63-1), -2^63', () => {
  for (const v of [
    0n,
    1n,
    -1n,
    2n ** 53n,
    -(2n ** 53n),
    2n ** 53n + 1n,
    LIMIT,
    -LIMIT,
    -(2n ** 63n),
  ]) {
    const out = new Uint8Array(8)
    assert.equal(writeInt64(out, 0, String(v)), true, String(v))
    assert.equal(readInt64(out, 0), String(v))
  }
})

test('only canonical decimals within int64 are int64s; longinteger excludes -2^63', () => {
  for (const bad of [
    '',
    '-',
    '+1',
    '01',
    '-0',
    '1.0',
    '1e3',
    ' 1',
    '9223372036854775808',
    7,
    7n,
    null,
  ]) {
    assert.equal(isInt64(bad), false, String(bad))
    assert.equal(writeInt64(new Uint8Array(8), 0, bad as string), false)
  }
  assert.equal(isInt64('-9223372036854775808'), true)
  assert.equal(inLongIntegerRange('-9223372036854775808'), false)
  assert.equal(inLongIntegerRange('-9223372036854775807'), true)
  assert.equal(inLongIntegerRange('9223372036854775807'), true)
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (v) => {
      const inside = v >= -(2n ** 63n) && v <= LIMIT
      assert.equal(isInt64(String(v)), inside)
      if (inside) assert.equal(inLongIntegerRange(String(v)), v >= -LIMIT)
    }),
  )
})

test('int32 and number conversions', () => {
  fc.assert(
    fc.property(fc.integer(), (n) => {
      assert.equal(int64FromInt32(n), String(n))
      assert.equal(int64ToNumber(String(n)), n)
    }),
  )
})
