/**
 * @module sensor errors: the `SdkError`s the drivers produce besides the bus's own
 * `remote.i2c_failed`. Each names the sensor (`bme280@/dev/i2c-1:0x76`).
 */
import { SdkError } from '@astarte-ts/sdk-core'

/** The chip at the address isn't the one configured (`remote.sensor_chip_id`). */
export function wrongChipError(sensor: string, found: number, expected: number): SdkError {
  const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`
  return new SdkError(
    'remote.sensor_chip_id',
    `couldn't use ${sensor}: its chip id is ${hex(found)}, not ${hex(expected)}`,
    { ctx: { sensor, chipId: hex(found), expected: hex(expected) } },
  )
}

/** A word's checksum doesn't match its data (`remote.sensor_crc`); `word` names which. */
export function crcError(
  sensor: string,
  word: string,
  received: number,
  computed: number,
): SdkError {
  const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`
  return new SdkError(
    'remote.sensor_crc',
    `couldn't read ${sensor}: the ${word} word's CRC is ${hex(received)}, its data's is ${hex(computed)}`,
    { ctx: { sensor, word, received: hex(received), computed: hex(computed) } },
  )
}

/** The chip didn't finish in the datasheet's time and then some (`remote.sensor_timeout`). */
export function busyError(sensor: string, what: string, waitedMs: number): SdkError {
  return new SdkError(
    'remote.sensor_timeout',
    `couldn't read ${sensor}: still ${what} after ${waitedMs} ms`,
    { ctx: { sensor, waitedMs } },
  )
}

/** A read before `open` or after `close` (`local.invalid_state`). */
export function notOpenError(sensor: string): SdkError {
  return new SdkError('local.invalid_state', `couldn't read ${sensor}: it isn't open`, {
    ctx: { sensor },
  })
}
