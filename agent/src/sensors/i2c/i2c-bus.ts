/**
 * @module i2c bus: the port the sensor drivers reach an I2C bus through — the three transfers
 * they need, addressed by 7-bit device address. Every failure is an `SdkError` coded
 * `remote.i2c_failed` naming the bus, the device address and the transfer, so a driver passes it
 * on unchanged and a flow logs where it happened. Real adapter: `openLinuxI2cBus` (i2c-bus over
 * `/dev/i2c-N`); test adapter: `SimulatedI2cBus`.
 */
import { SdkError } from '@astarte-ts/sdk-core'

/** One I2C bus. Transfers to one bus are not interleaved by the callers (one driver per device). */
export interface I2cBus {
  /** How errors and logs name it: `/dev/i2c-1`, `simulated`. */
  readonly description: string
  /** Writes `bytes` to device `address` in one transfer (START, address+W, bytes, STOP). */
  write(address: number, bytes: Uint8Array): Promise<void>
  /** Reads exactly `length` bytes from device `address` in one transfer. */
  read(address: number, length: number): Promise<Uint8Array>
  /**
   * Writes `bytes` then reads `length` bytes (a register pointer then the registers). Where the
   * adapter can, one combined transfer with a repeated START; devices that need it no more than
   * a write followed by a read (BME280, SHT3x) accept either.
   */
  writeRead(address: number, bytes: Uint8Array, length: number): Promise<Uint8Array>
  /** Releases the bus; transfers after it fail. */
  close(): Promise<void>
}

/** The transfer that failed, as errors name it. */
export type I2cTransfer = 'write' | 'read' | 'write-read' | 'open'

/** `0x76` — how errors and logs name a device address. */
export function hexAddress(address: number): string {
  return `0x${address.toString(16).padStart(2, '0')}`
}

/** The error every adapter produces for a failed transfer; `why` is short (`ENXIO`, `nack`). */
export function i2cError(
  bus: string,
  address: number,
  transfer: I2cTransfer,
  why: string,
  cause?: unknown,
): SdkError {
  return new SdkError(
    'remote.i2c_failed',
    `couldn't ${transfer} I2C device ${hexAddress(address)} on ${bus}: ${why}`,
    {
      ctx: { bus, address: hexAddress(address), transfer },
      ...(cause === undefined ? {} : { cause }),
    },
  )
}

/** Throws `local.invalid_config` unless `address` is a 7-bit address outside the reserved ones. */
export function checkI2cAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0x08 || address > 0x77) {
    throw new SdkError(
      'local.invalid_config',
      `couldn't use I2C address ${String(address)}: a 7-bit address is 0x08 to 0x77`,
      { ctx: { address } },
    )
  }
}
