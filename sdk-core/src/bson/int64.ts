/**
 * @module int64: the one place sdk-core meets 64-bit integers (BSON int64 and UTC datetime,
 * Astarte's longinteger). Here an int64 is a `bigint`. A build for an engine without BigInt
 * (Espruino) substitutes a module with the same exports over its own representation, so nothing
 * else in sdk-core may create, compare or convert a bigint.
 */

/** A 64-bit integer as this build represents it. */
export type Int64 = bigint

// One 8-byte scratch: a DataView per buffer costs more than a whole small document. The wire is
// little-endian (BSON 1.1) whatever the host's byte order.
const scratch = new ArrayBuffer(8)
const scratchBytes = new Uint8Array(scratch)
const scratchI64 = new BigInt64Array(scratch)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
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
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) scratchBytes[i] = src[at + i] as number
  else for (let i = 0; i < 8; i++) scratchBytes[7 - i] = src[at + i] as number
  return scratchI64[0] as bigint
}

/** Writes `v` at `at`; false, nothing written, when it is outside int64. */
export function writeInt64(dst: Uint8Array, at: number, v: Int64): boolean {
  scratchI64[0] = v
  if (scratchI64[0] !== v) return false
  for (let i = 0; i < 8; i++) dst[at + i] = scratchBytes[LITTLE_ENDIAN ? i : 7 - i] as number
  return true
}
