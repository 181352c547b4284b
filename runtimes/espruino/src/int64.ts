/**
 * @module int64 (Espruino): sdk-core's `bson/int64.ts` for an engine without BigInt, swapped in
 * by the Espruino build. An int64 is a **decimal string** ("-9223372036854775807"): exact, readable,
 * JSON-safe, and never mistaken for an Astarte `integer` (a number). Decoded `longinteger` values
 * are such strings; sending accepts them or a safe-integer number. The arithmetic is on four
 * 16-bit limbs, least significant first, each exact in a double.
 */

/** This build's int64: a canonical decimal string (no `+`, no leading zeros, no `-0`). */
export type Int64 = string

const TWO_32 = 4294967296
/**
 * Whether `v` is what `/^-?(0|[1-9][0-9]{0,18})$/` accepts (an optional `-`, then `0` or up to 19
 * digits without a leading zero): a function, since Espruino's RegExp has no `?` or `{m,n}`.
 */
export function isInt64Syntax(v: string): boolean {
  const digits = v.charAt(0) === '-' ? v.slice(1) : v
  return (
    digits.length > 0 &&
    digits.length <= 19 &&
    (digits === '0' || digits.charAt(0) !== '0') &&
    /^[0-9]+$/.test(digits)
  )
}
/** 2⁶³−1: Astarte's longinteger bound, ±. */
const MAX = '9223372036854775807'

/** Compares two non-negative canonical decimals. */
function cmp(a: string, b: string): number {
  return a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length
}

export function isInt64(v: unknown): v is Int64 {
  if (typeof v !== 'string' || !isInt64Syntax(v) || v === '-0') return false
  const digits = v.charAt(0) === '-' ? v.slice(1) : v
  return cmp(digits, v === digits ? MAX : '9223372036854775808') <= 0
}

export function inLongIntegerRange(v: Int64): boolean {
  return cmp(v.charAt(0) === '-' ? v.slice(1) : v, MAX) <= 0
}

export function int64FromInt32(n: number): Int64 {
  return String(n)
}

export function int64ToNumber(v: Int64): number {
  return Number(v)
}

function readU32(src: Uint8Array, at: number): number {
  return (
    ((src[at] as number) |
      ((src[at + 1] as number) << 8) |
      ((src[at + 2] as number) << 16) |
      ((src[at + 3] as number) << 24)) >>>
    0
  )
}

/** Two's complement negation of four 16-bit limbs, in place. */
function negate(limbs: number[]): void {
  let carry = 1
  for (let i = 0; i < 4; i++) {
    const x = ((limbs[i] as number) ^ 0xffff) + carry
    limbs[i] = x & 0xffff
    carry = x >>> 16
  }
}

export function readInt64(src: Uint8Array, at: number): Int64 {
  const lo = readU32(src, at)
  const hi = readU32(src, at + 4)
  const signed = hi >= 0x80000000 ? hi - TWO_32 : hi
  // within ±2⁵³ a double is exact
  if (signed >= -0x200000 && signed < 0x200000) return String(signed * TWO_32 + lo)
  const limbs = [lo & 0xffff, lo >>> 16, hi & 0xffff, hi >>> 16]
  const negative = signed < 0
  if (negative) negate(limbs)
  let out = ''
  // repeated division by 10 of the magnitude, most significant limb first
  while (
    (limbs[0] as number) +
    (limbs[1] as number) +
    (limbs[2] as number) +
    (limbs[3] as number)
  ) {
    let rem = 0
    for (let i = 3; i >= 0; i--) {
      const cur = rem * 0x10000 + (limbs[i] as number)
      limbs[i] = Math.floor(cur / 10)
      rem = cur % 10
    }
    out = String(rem) + out
  }
  return (negative ? '-' : '') + out
}

export function writeInt64(dst: Uint8Array, at: number, v: Int64): boolean {
  if (!isInt64(v)) return false
  const negative = v.charAt(0) === '-'
  const limbs = [0, 0, 0, 0]
  for (let d = negative ? 1 : 0; d < v.length; d++) {
    let carry = v.charCodeAt(d) - 48
    for (let i = 0; i < 4; i++) {
      const cur = (limbs[i] as number) * 10 + carry
      limbs[i] = cur & 0xffff
      carry = Math.floor(cur / 0x10000)
    }
  }
  if (negative) negate(limbs)
  for (let i = 0; i < 4; i++) {
    dst[at + 2 * i] = (limbs[i] as number) & 0xff
    dst[at + 2 * i + 1] = (limbs[i] as number) >>> 8
  }
  return true
}
