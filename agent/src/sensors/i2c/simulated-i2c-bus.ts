/**
 * @module simulated i2c bus: the `I2cBus` port over chip models held in memory, for tests and
 * demos. A chip model sees the bytes of each transfer as the real chip would and answers with
 * its own bytes; it signals a NACK by throwing `I2C_NACK`. The bus turns NACKs, absent devices
 * and injected faults into the same `remote.i2c_failed` errors the Linux adapter produces.
 */
import { checkI2cAddress, i2cError, type I2cBus, type I2cTransfer } from './i2c-bus.js'

/** Thrown by a chip model to refuse a transfer (the chip doesn't acknowledge its address). */
export const I2C_NACK: unique symbol = Symbol('i2c nack')

/** A chip model on a simulated bus. */
export interface SimulatedI2cChip {
  /** The bytes of one write transfer. Throw `I2C_NACK` to refuse it. */
  write(bytes: Uint8Array): void
  /** Answers one read transfer of `length` bytes. Throw `I2C_NACK` to refuse it. */
  read(length: number): Uint8Array
}

/** An `I2cBus` whose devices are chip models. */
export class SimulatedI2cBus implements I2cBus {
  readonly description: string
  readonly #chips = new Map<number, SimulatedI2cChip>()
  readonly #nacks = new Map<number, number>()
  #closed = false

  constructor(description = 'simulated') {
    this.description = description
  }

  /** Puts `chip` on the bus at `address` (replacing whatever was there). */
  attach(address: number, chip: SimulatedI2cChip): void {
    checkI2cAddress(address)
    this.#chips.set(address, chip)
  }

  /** Takes the chip at `address` off the bus: transfers to it are NACKed, as for a loose wire. */
  detach(address: number): void {
    this.#chips.delete(address)
  }

  /** The next `count` transfers to `address` are NACKed whatever the chip would do. */
  nackNext(address: number, count = 1): void {
    this.#nacks.set(address, (this.#nacks.get(address) ?? 0) + count)
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed
  }

  write(address: number, bytes: Uint8Array): Promise<void> {
    return this.#transfer(address, 'write', (chip) => chip.write(Uint8Array.from(bytes)))
  }

  read(address: number, length: number): Promise<Uint8Array> {
    return this.#transfer(address, 'read', (chip) => answer(chip, length))
  }

  writeRead(address: number, bytes: Uint8Array, length: number): Promise<Uint8Array> {
    return this.#transfer(address, 'write-read', (chip) => {
      chip.write(Uint8Array.from(bytes))
      return answer(chip, length)
    })
  }

  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  async #transfer<T>(
    address: number,
    transfer: I2cTransfer,
    run: (chip: SimulatedI2cChip) => T,
  ): Promise<T> {
    checkI2cAddress(address)
    if (this.#closed) throw i2cError(this.description, address, transfer, 'the bus is closed')
    const chip = this.#chips.get(address)
    const nacks = this.#nacks.get(address) ?? 0
    if (nacks > 0) this.#nacks.set(address, nacks - 1)
    if (chip === undefined || nacks > 0) throw i2cError(this.description, address, transfer, 'nack')
    try {
      return run(chip)
    } catch (error) {
      if (error === I2C_NACK) throw i2cError(this.description, address, transfer, 'nack')
      throw error
    }
  }
}

function answer(chip: SimulatedI2cChip, length: number): Uint8Array {
  const bytes = chip.read(length)
  if (bytes.length !== length) {
    throw new RangeError(`a chip model answered ${bytes.length} bytes for a read of ${length}`)
  }
  return bytes
}
