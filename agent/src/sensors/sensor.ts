/**
 * @module sensor: what a sensor source needs of a sensor driver — open (identify, reset,
 * configure), read one measurement, close. Units are fixed: °C, %RH, Pa. A failed read rejects
 * with an `SdkError` (a bus error naming the address, a CRC mismatch naming the word, a chip that
 * stays busy) and leaves the driver usable for the next read.
 */

/** The quantities the drivers measure. */
export type Quantity = 'temperature' | 'humidity' | 'pressure'

/** One measurement: °C, %RH and Pa, for the quantities the sensor measured. */
export type SensorReading = { readonly [Q in Quantity]?: number }

/** One sensor on its bus. Calls to `read` may overlap; the driver runs them one at a time. */
export interface Sensor {
  /** How logs name it: `bme280@/dev/i2c-1:0x76`. */
  readonly description: string
  /** What each reading holds. */
  readonly quantities: readonly Quantity[]
  /** Checks the chip is what it should be, resets and configures it. */
  open(): Promise<void>
  /** Takes one measurement now. */
  read(): Promise<SensorReading>
  /** Waits for the read in progress; leaves the chip idle. Doesn't close the bus. */
  close(): Promise<void>
}
