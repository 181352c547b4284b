/**
 * @module sht3x crc8: the checksum after every 16-bit word the SHT3x sends or receives
 * (datasheet "Datasheet SHT3x-DIS" §4.12, Table 19): CRC-8, polynomial 0x31 (x⁸+x⁵+x⁴+1),
 * initial 0xFF, no reflection, no final XOR. Example: CRC(0xBEEF) = 0x92.
 */

/** The CRC of `bytes` (the SHT3x checks two at a time). */
export function sht3xCrc8(bytes: Uint8Array): number {
  let crc = 0xff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff
    }
  }
  return crc
}

/** A 16-bit word as the chip sends it: MSB, LSB, CRC. */
export function sht3xWord(word: number): [number, number, number] {
  const msb = (word >> 8) & 0xff
  const lsb = word & 0xff
  return [msb, lsb, sht3xCrc8(Uint8Array.of(msb, lsb))]
}
