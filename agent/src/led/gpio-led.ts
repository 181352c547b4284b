/**
 * @module gpio led: a LED on a GPIO output line (`OnoffOutput`: `onoff`, the kernel's sysfs GPIO
 * interface; `line` is the kernel's global GPIO number, as `onoff` takes it). `onoff` is loaded
 * on `open`, so an agent without GPIO LEDs never loads its native part.
 */
import { OnoffOutput } from '../gpio/onoff-gpio.js'
import type { Led } from './led.js'

/** Options of {@link GpioLed}. */
export interface GpioLedOptions {
  /** The LED lights when the line is low. Default false. */
  readonly activeLow?: boolean
}

/** A LED on GPIO line `line`. */
export class GpioLed implements Led {
  readonly description: string
  readonly #output: OnoffOutput

  /** Throws `local.invalid_config` when `line` isn't a GPIO number. */
  constructor(line: number, options: GpioLedOptions = {}) {
    this.#output = new OnoffOutput(line, { activeLow: options.activeLow ?? false })
    this.description = this.#output.description
  }

  /** Claims the line, LED off. */
  open(): Promise<void> {
    return this.#output.open()
  }

  set(on: boolean): Promise<void> {
    return this.#output.write(on)
  }

  close(): Promise<void> {
    return this.#output.close()
  }
}
