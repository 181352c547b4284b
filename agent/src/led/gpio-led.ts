/**
 * @module gpio led: a LED on a GPIO line, driven through `onoff` (the kernel's sysfs GPIO
 * interface, `/sys/class/gpio`; `line` is the kernel's global GPIO number, as `onoff` takes it).
 * `onoff` is loaded on `open`, so an agent without GPIO LEDs never loads its native part.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type { Led } from './led.js'

/** Options of {@link GpioLed}. */
export interface GpioLedOptions {
  /** The LED lights when the line is low. Default false. */
  readonly activeLow?: boolean
}

/** What this LED uses of `onoff`'s `Gpio`. */
interface OutputLine {
  write(value: 0 | 1): Promise<void>
  unexport(): void
}

/** A LED on GPIO line `line`. */
export class GpioLed implements Led {
  readonly description: string
  readonly #line: number
  readonly #activeLow: boolean
  #gpio: OutputLine | undefined
  /** The last write: the next one starts after it, so writes land in call order. */
  #last: Promise<void> = Promise.resolve()

  /** Throws `local.invalid_config` when `line` isn't a GPIO number. */
  constructor(line: number, options: GpioLedOptions = {}) {
    if (!Number.isSafeInteger(line) || line < 0) {
      throw new SdkError('local.invalid_config', `couldn't use GPIO line ${line}`, {
        ctx: { line },
      })
    }
    this.#line = line
    this.#activeLow = options.activeLow ?? false
    this.description = `gpio:${line}`
  }

  async open(): Promise<void> {
    const fail = (why: string, cause?: unknown): SdkError =>
      new SdkError('local.io_failed', `couldn't open GPIO line ${this.#line}: ${why}`, {
        ctx: { line: this.#line },
        ...(cause === undefined ? {} : { cause }),
      })
    let onoff: typeof import('onoff')
    try {
      onoff = await import('onoff')
    } catch (error) {
      throw fail(`onoff couldn't load (${message(error)})`, error)
    }
    const { Gpio } = onoff
    if (!Gpio.accessible) {
      throw fail("/sys/class/gpio/export isn't there or isn't writable by the agent")
    }
    try {
      // off from the start: the line keeps whatever level it had before the export
      const gpio = new Gpio(this.#line, 'out', 'none', { activeLow: this.#activeLow })
      gpio.writeSync(0)
      this.#gpio = gpio
    } catch (error) {
      throw fail(message(error), error)
    }
  }

  set(on: boolean): Promise<void> {
    const gpio = this.#gpio
    if (gpio === undefined) {
      return Promise.reject(
        new SdkError('local.invalid_state', `couldn't set GPIO line ${this.#line}: it isn't open`),
      )
    }
    const write = this.#last.then(async () => {
      try {
        await gpio.write(on ? 1 : 0)
      } catch (error) {
        throw new SdkError('local.io_failed', `couldn't set GPIO line ${this.#line}`, {
          ctx: { line: this.#line },
          cause: error,
        })
      }
    })
    this.#last = write.catch(() => undefined)
    return write
  }

  async close(): Promise<void> {
    await this.#last
    const gpio = this.#gpio
    this.#gpio = undefined
    gpio?.unexport()
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
