/**
 * @module onoff gpio: the GPIO ports over `onoff` (the kernel's sysfs GPIO interface,
 * `/sys/class/gpio`; a line is the kernel's global GPIO number, as `onoff` takes it — on a
 * Raspberry Pi the BCM number plus the GPIO chip's base, which `/sys/class/gpio/gpiochipN/base`
 * shows). `onoff` and its native `epoll` are loaded on `open`, so an agent without GPIO never
 * loads them. Errors are `SdkError`s naming the line.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type { Gpio } from 'onoff'
import type {
  GpioEdge,
  GpioInput,
  GpioInputOptions,
  GpioListener,
  GpioOutput,
  GpioOutputOptions,
} from './gpio.js'

/** Throws `local.invalid_config` unless `line` is a GPIO number. */
export function checkGpioLine(line: number): void {
  if (!Number.isSafeInteger(line) || line < 0) {
    throw new SdkError('local.invalid_config', `couldn't use GPIO line ${line}`, {
      ctx: { line },
    })
  }
}

/** Exports `line` through `onoff` as an input (with `edge`) or an output driven inactive. */
async function openLine(
  line: number,
  direction: 'in' | 'low',
  edge: GpioEdge | 'none',
  options: { activeLow: boolean; debounceMs?: number },
): Promise<Gpio> {
  const fail = (why: string, cause?: unknown): SdkError =>
    new SdkError('local.io_failed', `couldn't open GPIO line ${line}: ${why}`, {
      ctx: { line },
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
    const gpio = new Gpio(line, direction === 'low' ? 'out' : 'in', edge, {
      activeLow: options.activeLow,
      ...(options.debounceMs === undefined ? {} : { debounceTimeout: options.debounceMs }),
    })
    // inactive from the start: an exported line keeps whatever level it had before
    if (direction === 'low') gpio.writeSync(0)
    return gpio
  } catch (error) {
    throw fail(message(error), error)
  }
}

function notOpen(line: number, what: string): SdkError {
  return new SdkError('local.invalid_state', `couldn't ${what} GPIO line ${line}: it isn't open`, {
    ctx: { line },
  })
}

function ioFailed(line: number, what: string, cause: unknown): SdkError {
  return new SdkError('local.io_failed', `couldn't ${what} GPIO line ${line}: ${message(cause)}`, {
    ctx: { line },
    cause,
  })
}

/** An input line through `onoff`. */
export class OnoffInput implements GpioInput {
  readonly description: string
  readonly #line: number
  readonly #options: GpioInputOptions
  #gpio: Gpio | undefined

  /** Throws `local.invalid_config` when `line` isn't a GPIO number. */
  constructor(line: number, options: GpioInputOptions = {}) {
    checkGpioLine(line)
    this.#line = line
    this.#options = options
    this.description = `gpio:${line}`
  }

  async open(): Promise<void> {
    this.#gpio = await openLine(this.#line, 'in', this.#options.edge ?? 'both', {
      activeLow: this.#options.activeLow ?? false,
      ...(this.#options.debounceMs === undefined ? {} : { debounceMs: this.#options.debounceMs }),
    })
  }

  async read(): Promise<boolean> {
    const gpio = this.#gpio
    if (gpio === undefined) throw notOpen(this.#line, 'read')
    try {
      return (await gpio.read()) === 1
    } catch (error) {
      throw ioFailed(this.#line, 'read', error)
    }
  }

  watch(listener: GpioListener, onError?: (error: Error) => void): () => void {
    const gpio = this.#gpio
    if (gpio === undefined) throw notOpen(this.#line, 'watch')
    const callback = (error: Error | null | undefined, value: 0 | 1): void => {
      if (error) onError?.(ioFailed(this.#line, 'watch', error))
      else listener(value === 1)
    }
    gpio.watch(callback)
    return () => gpio.unwatch(callback)
  }

  close(): Promise<void> {
    const gpio = this.#gpio
    this.#gpio = undefined
    gpio?.unwatchAll()
    gpio?.unexport()
    return Promise.resolve()
  }
}

/** An output line through `onoff`. */
export class OnoffOutput implements GpioOutput {
  readonly description: string
  readonly #line: number
  readonly #activeLow: boolean
  #gpio: Gpio | undefined
  /** The last write: the next one starts after it, so writes land in call order. */
  #last: Promise<void> = Promise.resolve()

  /** Throws `local.invalid_config` when `line` isn't a GPIO number. */
  constructor(line: number, options: GpioOutputOptions = {}) {
    checkGpioLine(line)
    this.#line = line
    this.#activeLow = options.activeLow ?? false
    this.description = `gpio:${line}`
  }

  async open(): Promise<void> {
    this.#gpio = await openLine(this.#line, 'low', 'none', { activeLow: this.#activeLow })
  }

  write(level: boolean): Promise<void> {
    const gpio = this.#gpio
    if (gpio === undefined) return Promise.reject(notOpen(this.#line, 'set'))
    const write = this.#last.then(async () => {
      try {
        await gpio.write(level ? 1 : 0)
      } catch (error) {
        throw ioFailed(this.#line, 'set', error)
      }
    })
    this.#last = write.catch(() => undefined)
    return write
  }

  async read(): Promise<boolean> {
    const gpio = this.#gpio
    if (gpio === undefined) throw notOpen(this.#line, 'read')
    await this.#last
    try {
      return (await gpio.read()) === 1
    } catch (error) {
      throw ioFailed(this.#line, 'read', error)
    }
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
