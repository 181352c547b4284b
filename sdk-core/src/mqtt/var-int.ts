/**
 * @module mqtt var-int: the remaining-length field of the fixed header (§2.2.3), one to four
 * bytes of seven bits each, least significant group first.
 */

/** Bytes `n` (0..268 435 455) takes as a variable byte integer. */
export function varIntSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : 4
}

/** Writes `n` at `offset`; returns the end. */
export function writeVarInt(out: Uint8Array, offset: number, n: number): number {
  let o = offset
  let rest = n
  do {
    const digit = rest % 0x80
    rest = Math.floor(rest / 0x80)
    out[o++] = rest > 0 ? digit | 0x80 : digit
  } while (rest > 0)
  return o
}
