/**
 * @module lazy i2c bus: an `I2cBus` opened at its first transfer (and again after a failed
 * open), so a sensor whose bus isn't there at start fails its reads with the open's error and
 * starts working once the bus appears (a module loaded late, a permission fixed).
 */
import type { I2cBus } from '../sensors/i2c/i2c-bus.js'

export class LazyI2cBus implements I2cBus {
  readonly description: string
  readonly #open: () => Promise<I2cBus>
  #bus: Promise<I2cBus> | undefined

  constructor(description: string, open: () => Promise<I2cBus>) {
    this.description = description
    this.#open = open
  }

  write(address: number, bytes: Uint8Array): Promise<void> {
    return this.#bus_().then((bus) => bus.write(address, bytes))
  }

  read(address: number, length: number): Promise<Uint8Array> {
    return this.#bus_().then((bus) => bus.read(address, length))
  }

  writeRead(address: number, bytes: Uint8Array, length: number): Promise<Uint8Array> {
    return this.#bus_().then((bus) => bus.writeRead(address, bytes, length))
  }

  async close(): Promise<void> {
    const bus = this.#bus
    this.#bus = undefined
    if (bus !== undefined) await (await bus.catch(() => undefined))?.close()
  }

  #bus_(): Promise<I2cBus> {
    const bus = (this.#bus ??= this.#open())
    bus.catch(() => {
      if (this.#bus === bus) this.#bus = undefined
    })
    return bus
  }
}
