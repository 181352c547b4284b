/**
 * @module bson scratch: one 8-byte scratch for the 64-bit values of BSON (float64, int64): a
 * DataView per buffer costs more than a whole small document. The wire is little-endian
 * (BSON 1.1) whatever the host's byte order; typed-array views of `scratch` read it in host order.
 */

/** 2³²: splits and joins the halves of an integer beyond 32 bits. */
export const TWO_32 = 4294967296

export const scratch = new ArrayBuffer(8)
const scratchBytes = new Uint8Array(scratch)
const scratchF64 = new Float64Array(scratch)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
/** XORed with a byte's index, its index in host order: 0 little-endian, 7 big-endian. */
const FLIP = LITTLE_ENDIAN ? 0 : 7

/** Copies the 8 little-endian wire bytes at `at` into `scratch`. */
export function load8(src: Uint8Array, at: number): void {
  for (let i = 0; i < 8; i++) scratchBytes[i ^ FLIP] = src[at + i] as number
}

/** Writes `scratch` at `at` as 8 little-endian wire bytes. */
export function store8(dst: Uint8Array, at: number): void {
  const s = scratchBytes
  if (LITTLE_ENDIAN) {
    dst[at] = s[0] as number
    dst[at + 1] = s[1] as number
    dst[at + 2] = s[2] as number
    dst[at + 3] = s[3] as number
    dst[at + 4] = s[4] as number
    dst[at + 5] = s[5] as number
    dst[at + 6] = s[6] as number
    dst[at + 7] = s[7] as number
  } else for (let i = 0; i < 8; i++) dst[at + i] = s[7 - i] as number
}

export function readFloat64(src: Uint8Array, at: number): number {
  load8(src, at)
  return scratchF64[0] as number
}

export function writeFloat64(dst: Uint8Array, at: number, v: number): void {
  scratchF64[0] = v
  store8(dst, at)
}
