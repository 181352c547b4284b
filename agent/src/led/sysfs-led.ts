/**
 * @module sysfs led: a LED of the kernel's LED class, `/sys/class/leds/<name>/brightness`. On is
 * the LED's `max_brightness` (a PWM LED written `1` would barely glow), off is 0. Writing the
 * brightness also ends the LED's trigger (e.g. `heartbeat`), as the kernel documents.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SdkError } from '@astarte-ts/sdk-core'
import type { Led } from './led.js'

/** Options of {@link SysfsLed}. */
export interface SysfsLedOptions {
  /** The LED class directory; `/sys/class/leds` unless a test points elsewhere. */
  readonly root?: string
}

export const SYSFS_LEDS = '/sys/class/leds'

/** A sysfs LED by its name (`/sys/class/leds/<name>`). */
export class SysfsLed implements Led {
  readonly description: string
  readonly #dir: string
  readonly #name: string
  #max: number | undefined
  /** The last write: the next one starts after it, so writes land in call order. */
  #last: Promise<void> = Promise.resolve()

  /** Throws `local.invalid_config` when `name` isn't one directory name. */
  constructor(name: string, options: SysfsLedOptions = {}) {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new SdkError('local.invalid_config', `couldn't use LED name ${JSON.stringify(name)}`, {
        ctx: { name },
      })
    }
    this.#name = name
    this.#dir = join(options.root ?? SYSFS_LEDS, name)
    this.description = `sysfs:${name}`
  }

  async open(): Promise<void> {
    const file = join(this.#dir, 'max_brightness')
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new SdkError('local.io_failed', `couldn't open LED ${this.#name}: ${reason(error)}`, {
        ctx: { file },
        cause: error,
      })
    }
    const max = Number(text.trim())
    if (!Number.isInteger(max) || max < 1) {
      throw new SdkError('local.io_failed', `couldn't open LED ${this.#name}: bad max_brightness`, {
        ctx: { file, maxBrightness: text.trim() },
      })
    }
    this.#max = max
  }

  set(on: boolean): Promise<void> {
    const max = this.#max
    if (max === undefined) {
      return Promise.reject(
        new SdkError('local.invalid_state', `couldn't set LED ${this.#name}: it isn't open`),
      )
    }
    const file = join(this.#dir, 'brightness')
    const write = this.#last.then(async () => {
      try {
        await writeFile(file, `${on ? max : 0}\n`)
      } catch (error) {
        throw new SdkError('local.io_failed', `couldn't set LED ${this.#name}: ${reason(error)}`, {
          ctx: { file },
          cause: error,
        })
      }
    })
    this.#last = write.catch(() => undefined)
    return write
  }

  close(): Promise<void> {
    return this.#last
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
}
