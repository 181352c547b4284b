/**
 * @module int64: the one place sdk-core meets 64-bit integers (BSON int64 and UTC datetime,
 * Astarte's longinteger). Here an int64 is a `bigint`. A build for an engine without BigInt
 * (Espruino) substitutes a module with the same exports over its own representation, so nothing
 * else in sdk-core may create, compare or convert a bigint.
 */

import { load8, scratch, store8 } from './scratch.js'

/** A 64-bit integer as this build represents it. */
export type Int64 = bigint

const scratchI64 = new BigInt64Array(scratch)
/** spec §2.3 [quirk]: `abs(v) ≤ 2⁶³−1`, so −2⁶³ is refused. */
const LONGINTEGER_LIMIT = 2n ** 63n - 1n

/** Whether `v` is an int64 of this build's representation (range not checked). */
export function isInt64(v: unknown): v is Int64 {
  return typeof v === 'bigint'
}

/** Within Astarte's longinteger range ±(2⁶³−1). */
export function inLongIntegerRange(v: Int64): boolean {
  return v <= LONGINTEGER_LIMIT && v >= -LONGINTEGER_LIMIT
}

export function int64FromInt32(n: number): Int64 {
  return BigInt(n)
}

/** The nearest double. */
export function int64ToNumber(v: Int64): number {
  return Number(v)
}

/** Reads the little-endian two's-complement int64 at `at` (the caller checked the bounds). */
export function readInt64(src: Uint8Array, at: number): Int64 {
  load8(src, at)
  return scratchI64[0] as bigint
}

/** Writes `v` at `at`; false, nothing written, when it is outside int64. */
export function writeInt64(dst: Uint8Array, at: number, v: Int64): boolean {
  scratchI64[0] = v
  if (scratchI64[0] !== v) return false
  store8(dst, at)
  return true
}
