/**
 * @module linux i2c bus: the `I2cBus` port over `i2c-bus` (the kernel's i2c-dev interface,
 * `/dev/i2c-N`; on a Raspberry Pi bus 1 is the header's SDA/SCL, pins 3 and 5). `i2c-bus` is a
 * native addon loaded on open, so an agent without I2C sensors never loads it. A register read of
 * one pointer byte and up to 32 bytes goes as one SMBus I2C-block transfer (repeated START); any
 * other write-read as a write then a read.
 */
/// <reference path="./i2c-bus-module.d.ts" />
import { access, constants } from 'node:fs/promises'
import { SdkError } from '@astarte-ts/sdk-core'
import type { PromisifiedBus } from 'i2c-bus'
import { checkI2cAddress, i2cError, type I2cBus, type I2cTransfer } from './i2c-bus.js'

/** SMBus's block limit, which `readI2cBlock` enforces. */
const SMBUS_BLOCK_MAX = 32

/**
 * Opens `/dev/i2c-<busNumber>`. Rejects with `local.invalid_config` for a bad bus number,
 * `local.io_failed` when `i2c-bus` can't load or the bus can't be opened (absent, or the agent
 * isn't in the `i2c` group).
 */
export async function openLinuxI2cBus(busNumber: number): Promise<I2cBus> {
  if (!Number.isSafeInteger(busNumber) || busNumber < 0) {
    throw new SdkError('local.invalid_config', `couldn't use I2C bus ${String(busNumber)}`, {
      ctx: { bus: busNumber },
    })
  }
  const description = `/dev/i2c-${busNumber}`
  const fail = (why: string, cause: unknown): SdkError =>
    new SdkError('local.io_failed', `couldn't open I2C bus ${description}: ${why}`, {
      ctx: { bus: description },
      cause,
    })
  let module: typeof import('i2c-bus')
  try {
    module = await import('i2c-bus')
  } catch (error) {
    throw fail(`i2c-bus couldn't load (${reason(error)})`, error)
  }
  try {
    // i2c-bus opens the device file at the first transfer; the bus's absence (module not
    // loaded, I2C not enabled) or a missing `i2c` group membership is said here instead
    await access(description, constants.R_OK | constants.W_OK)
    return new LinuxI2cBus(description, await module.openPromisified(busNumber))
  } catch (error) {
    throw fail(reason(error), error)
  }
}

class LinuxI2cBus implements I2cBus {
  readonly description: string
  readonly #bus: PromisifiedBus
  #closed = false

  constructor(description: string, bus: PromisifiedBus) {
    this.description = description
    this.#bus = bus
  }

  write(address: number, bytes: Uint8Array): Promise<void> {
    return this.#transfer(address, 'write', async (bus) => {
      const { bytesWritten } = await bus.i2cWrite(address, bytes.length, Buffer.from(bytes))
      if (bytesWritten !== bytes.length) throw new Error(`wrote ${bytesWritten} of ${bytes.length}`)
    })
  }

  read(address: number, length: number): Promise<Uint8Array> {
    return this.#transfer(address, 'read', async (bus) => {
      const buffer = Buffer.alloc(length)
      const { bytesRead } = await bus.i2cRead(address, length, buffer)
      return whole(buffer, bytesRead)
    })
  }

  writeRead(address: number, bytes: Uint8Array, length: number): Promise<Uint8Array> {
    return this.#transfer(address, 'write-read', async (bus) => {
      const buffer = Buffer.alloc(length)
      const register = bytes[0]
      if (bytes.length === 1 && register !== undefined && length <= SMBUS_BLOCK_MAX) {
        return whole(buffer, (await bus.readI2cBlock(address, register, length, buffer)).bytesRead)
      }
      await bus.i2cWrite(address, bytes.length, Buffer.from(bytes))
      return whole(buffer, (await bus.i2cRead(address, length, buffer)).bytesRead)
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#bus.close()
  }

  async #transfer<T>(
    address: number,
    transfer: I2cTransfer,
    run: (bus: PromisifiedBus) => Promise<T>,
  ): Promise<T> {
    checkI2cAddress(address)
    if (this.#closed) throw i2cError(this.description, address, transfer, 'the bus is closed')
    try {
      return await run(this.#bus)
    } catch (error) {
      throw i2cError(this.description, address, transfer, reason(error), error)
    }
  }
}

function whole(buffer: Buffer, bytesRead: number): Uint8Array {
  if (bytesRead !== buffer.length) throw new Error(`read ${bytesRead} of ${buffer.length} bytes`)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length)
}

/** errno codes say it best: ENXIO/EREMOTEIO for a device that didn't answer, EACCES, ENOENT. */
function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
}
