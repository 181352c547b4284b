/**
 * @module bme280 registers: the memory map and settings of Bosch's BME280 (datasheet
 * BST-BME280-DS002, §5.3 "Register description" and §9.1 "Measurement time"), shared by the
 * driver and the simulated chip.
 */

/** `id` (§5.4.1): reads 0x60 on a BME280 (a BMP280 reads 0x56–0x58). */
export const REG_ID = 0xd0
export const CHIP_ID = 0x60
/** `reset` (§5.4.2): writing 0xB6 resets the chip as at power-on. */
export const REG_RESET = 0xe0
export const RESET_WORD = 0xb6
/** `ctrl_hum` (§5.4.3): osrs_h[2:0]; takes effect at the next write of `ctrl_meas`. */
export const REG_CTRL_HUM = 0xf2
/** `status` (§5.4.4): bit 3 `measuring`, bit 0 `im_update` (NVM data being copied). */
export const REG_STATUS = 0xf3
export const STATUS_MEASURING = 0x08
export const STATUS_IM_UPDATE = 0x01
/** `ctrl_meas` (§5.4.5): osrs_t[7:5], osrs_p[4:2], mode[1:0]. */
export const REG_CTRL_MEAS = 0xf4
/** `config` (§5.4.6): t_sb[7:5], filter[4:2], spi3w_en[0]. */
export const REG_CONFIG = 0xf5
/** `press_msb` (§5.4.7): the burst 0xF7..0xFE holds press[19:0], temp[19:0], hum[15:0]. */
export const REG_DATA = 0xf7
export const DATA_LENGTH = 8
/** Calibration: 0x88..0xA1 (dig_T1..dig_H1) and 0xE1..0xE7 (dig_H2..dig_H6), §4.2.2. */
export const REG_CALIB_TP = 0x88
export const CALIB_TP_LENGTH = 26
export const REG_CALIB_H = 0xe1
export const CALIB_H_LENGTH = 7

/** mode[1:0] (§3.3): sleep, forced (01 and 10), normal. */
export const MODE_SLEEP = 0b00
export const MODE_FORCED = 0b01
export const MODE_NORMAL = 0b11

/** An oversampling setting (§3.4): the factor, or 0 to skip the measurement. */
export type Oversampling = 0 | 1 | 2 | 4 | 8 | 16

/** osrs_x[2:0] of each factor (Tables 20, 22, 23). */
export const OSRS_CODE: Readonly<Record<Oversampling, number>> = {
  0: 0b000,
  1: 0b001,
  2: 0b010,
  4: 0b011,
  8: 0b100,
  16: 0b101,
}

/** The factor of an osrs_x[2:0] code; codes above 0b101 mean 16 (§5.4.3). */
export function oversamplingOf(code: number): Oversampling {
  const factors: readonly Oversampling[] = [0, 1, 2, 4, 8, 16]
  return factors[Math.min(code & 0b111, 5)]!
}

/** IIR filter coefficient (§3.4.4): filter[2:0]. */
export type FilterCoefficient = 0 | 2 | 4 | 8 | 16

export const FILTER_CODE: Readonly<Record<FilterCoefficient, number>> = {
  0: 0b000,
  2: 0b001,
  4: 0b010,
  8: 0b011,
  16: 0b100,
}

/** The oversampling of each measurement. */
export interface Bme280Oversampling {
  readonly temperature: Oversampling
  readonly pressure: Oversampling
  readonly humidity: Oversampling
}

/**
 * The maximum measurement time in ms (§9.1): 1.25 + 2.3·osrs_t + (2.3·osrs_p + 0.575) +
 * (2.3·osrs_h + 0.575), a skipped measurement counting 0.
 */
export function maxMeasurementMs(o: Bme280Oversampling): number {
  const part = (factor: Oversampling, extra: number): number =>
    factor === 0 ? 0 : 2.3 * factor + extra
  return 1.25 + part(o.temperature, 0) + part(o.pressure, 0.575) + part(o.humidity, 0.575)
}

/** The value a skipped temperature or pressure measurement reads (§4, "0x80000"). */
export const SKIPPED_20BIT = 0x80000
/** The value a skipped humidity measurement reads ("0x8000"). */
export const SKIPPED_16BIT = 0x8000
