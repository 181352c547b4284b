/**
 * @module bme280 calibration: the trimming parameters burnt into each chip (datasheet §4.2.2,
 * Table 16), read from 0x88..0xA1 and 0xE1..0xE7, little-endian. dig_H4 and dig_H5 are 12-bit
 * values sharing 0xE5: dig_H4 = 0xE4[7:0]·16 | 0xE5[3:0], dig_H5 = 0xE6[7:0]·16 | 0xE5[7:4], the
 * high byte signed (as Bosch's reference driver reads them).
 */
import { CALIB_H_LENGTH, CALIB_TP_LENGTH } from './registers.js'

/** The chip's compensation parameters, named as in the datasheet. */
export interface Bme280Calibration {
  readonly digT1: number
  readonly digT2: number
  readonly digT3: number
  readonly digP1: number
  readonly digP2: number
  readonly digP3: number
  readonly digP4: number
  readonly digP5: number
  readonly digP6: number
  readonly digP7: number
  readonly digP8: number
  readonly digP9: number
  readonly digH1: number
  readonly digH2: number
  readonly digH3: number
  readonly digH4: number
  readonly digH5: number
  readonly digH6: number
}

/** Word fields of 0x88..0x9F in address order, and whether each is signed. */
const TP_WORDS = [
  ['digT1', false],
  ['digT2', true],
  ['digT3', true],
  ['digP1', false],
  ['digP2', true],
  ['digP3', true],
  ['digP4', true],
  ['digP5', true],
  ['digP6', true],
  ['digP7', true],
  ['digP8', true],
  ['digP9', true],
] as const

/** Decodes the 26 bytes at 0x88 and the 7 bytes at 0xE1. */
export function decodeBme280Calibration(tp: Uint8Array, h: Uint8Array): Bme280Calibration {
  if (tp.length !== CALIB_TP_LENGTH || h.length !== CALIB_H_LENGTH) {
    throw new RangeError(`calibration blocks are ${CALIB_TP_LENGTH} and ${CALIB_H_LENGTH} bytes`)
  }
  const tpView = new DataView(tp.buffer, tp.byteOffset, tp.length)
  const hView = new DataView(h.buffer, h.byteOffset, h.length)
  const words: Record<string, number> = {}
  TP_WORDS.forEach(([name, signed], i) => {
    words[name] = signed ? tpView.getInt16(2 * i, true) : tpView.getUint16(2 * i, true)
  })
  const e5 = hView.getUint8(4)
  return {
    ...(words as Pick<Bme280Calibration, (typeof TP_WORDS)[number][0]>),
    // 0xA0 is unused; dig_H1 is 0xA1
    digH1: tpView.getUint8(25),
    digH2: hView.getInt16(0, true),
    digH3: hView.getUint8(2),
    digH4: hView.getInt8(3) * 16 + (e5 & 0x0f),
    digH5: hView.getInt8(5) * 16 + (e5 >> 4),
    digH6: hView.getInt8(6),
  }
}

/** The register bytes a chip with `c` holds at 0x88 (26 bytes) and 0xE1 (7 bytes). */
export function encodeBme280Calibration(c: Bme280Calibration): { tp: Uint8Array; h: Uint8Array } {
  const tp = new Uint8Array(CALIB_TP_LENGTH)
  const h = new Uint8Array(CALIB_H_LENGTH)
  const tpView = new DataView(tp.buffer)
  const hView = new DataView(h.buffer)
  TP_WORDS.forEach(([name, signed], i) => {
    if (signed) tpView.setInt16(2 * i, c[name], true)
    else tpView.setUint16(2 * i, c[name], true)
  })
  tpView.setUint8(25, c.digH1)
  hView.setInt16(0, c.digH2, true)
  hView.setUint8(2, c.digH3)
  hView.setInt8(3, c.digH4 >> 4)
  hView.setUint8(4, ((c.digH5 & 0x0f) << 4) | (c.digH4 & 0x0f))
  hView.setInt8(5, c.digH5 >> 4)
  hView.setInt8(6, c.digH6)
  return { tp, h }
}
