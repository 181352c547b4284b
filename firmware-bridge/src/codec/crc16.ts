/**
 * @module CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR), the frame
 * check of PROTOCOL.md §1.2. Table-driven here; the C side may use the bitwise loop.
 */

const TABLE = (() => {
  const t = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n << 8
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    t[n] = c
  }
  return t
})()

/** The CRC of `data` (optionally only its first `length` bytes). */
export function crc16(data: Uint8Array, length = data.length): number {
  let crc = 0xffff
  for (let i = 0; i < length; i++)
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ data[i]!) & 0xff]!
  return crc
}
