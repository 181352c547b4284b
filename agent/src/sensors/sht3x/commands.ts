/**
 * @module sht3x commands: the 16-bit commands of the Sensirion SHT3x-DIS (datasheet §4.3–4.10)
 * and its conversion formulas (§4.13), shared by the driver and the simulated chip.
 */

/** Repeatability of a single-shot measurement (§4.3): more is slower and less noisy. */
export type Repeatability = 'high' | 'medium' | 'low'

/**
 * Single-shot commands (Table 9), by clock stretching then repeatability. With stretching, the
 * chip holds SCL low until the data is ready; without, it NACKs reads until then.
 */
export const SINGLE_SHOT: Readonly<Record<'stretch' | 'poll', Record<Repeatability, number>>> = {
  stretch: { high: 0x2c06, medium: 0x2c0d, low: 0x2c10 },
  poll: { high: 0x2400, medium: 0x240b, low: 0x2416 },
}

/** Maximum measurement duration in ms (Table 4, t_MEAS): 15, 6 and 4 ms. */
export const MEASUREMENT_MS: Readonly<Record<Repeatability, number>> = {
  high: 15,
  medium: 6,
  low: 4,
}

/** Soft reset (§4.9); the chip is back after 1.5 ms at most (Table 4, t_SR). */
export const CMD_SOFT_RESET = 0x30a2
export const SOFT_RESET_MS = 1.5
/** Heater on / off (§4.10). */
export const CMD_HEATER_ON = 0x306d
export const CMD_HEATER_OFF = 0x3066
/** Read the status register (§4.11, Table 17), and clear its flags (Table 18). */
export const CMD_READ_STATUS = 0xf32d
export const CMD_CLEAR_STATUS = 0x3041

/** Status register bits (Table 17). */
export const STATUS = {
  alertPending: 1 << 15,
  heaterOn: 1 << 13,
  humidityAlert: 1 << 11,
  temperatureAlert: 1 << 10,
  resetDetected: 1 << 4,
  commandFailed: 1 << 1,
  writeChecksumFailed: 1 << 0,
} as const

/** T [°C] = −45 + 175 · S_T / (2¹⁶ − 1). */
export function sht3xTemperature(raw: number): number {
  return -45 + (175 * raw) / 65535
}

/** RH [%] = 100 · S_RH / (2¹⁶ − 1). */
export function sht3xHumidity(raw: number): number {
  return (100 * raw) / 65535
}

/** The raw code nearest `celsius` (−45 to 130 °C). */
export function sht3xRawTemperature(celsius: number): number {
  return Math.min(65535, Math.max(0, Math.round(((celsius + 45) * 65535) / 175)))
}

/** The raw code nearest `percent` (0 to 100 %RH). */
export function sht3xRawHumidity(percent: number): number {
  return Math.min(65535, Math.max(0, Math.round((percent * 65535) / 100)))
}
