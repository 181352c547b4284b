/**
 * @module simulated gpio: GPIO lines held in memory, for tests and demos. The chip holds each
 * line's physical level; a test drives an input's level (`drive`) and reads an output's
 * (`level`); the ports it hands out apply active-low and report edges of the logical level, as
 * `onoff` does. Edges are delivered synchronously, in the order the levels changed.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import { checkGpioLine } from './onoff-gpio.js'
import type {
  GpioInput,
  GpioInputOptions,
  GpioListener,
  GpioOutput,
  GpioOutputOptions,
} from './gpio.js'

interface Watcher {
  readonly listener: GpioListener
  readonly activeLow: boolean
  readonly edge: 'rising' | 'falling' | 'both'
}

/** A simulated GPIO chip: lines by number, each a physical level. */
export class SimulatedGpio {
  readonly #levels = new Map<number, boolean>()
  readonly #watchers = new Map<number, Set<Watcher>>()
  readonly #claimed = new Set<number>()
  /** Lines whose next open fails, as an exported-elsewhere or absent line would. */
  readonly #unusable = new Set<number>()

  /** Sets input `line`'s physical level (a button, a switch), telling the watchers of an edge. */
  drive(line: number, high: boolean): void {
    const before = this.#levels.get(line) ?? false
    this.#levels.set(line, high)
    if (before === high) return
    for (const w of this.#watchers.get(line) ?? []) {
      const logical = high !== w.activeLow
      if (w.edge === 'both' || (w.edge === 'rising') === logical) w.listener(logical)
    }
  }

  /** The physical level of `line` (an output's, or what was driven). */
  level(line: number): boolean {
    return this.#levels.get(line) ?? false
  }

  /** Whether a port holds `line` now. */
  claimed(line: number): boolean {
    return this.#claimed.has(line)
  }

  /** The next `open` of `line` fails (fault injection). */
  makeUnusable(line: number): void {
    this.#unusable.add(line)
  }

  /** An input port on `line`. */
  input(line: number, options: GpioInputOptions = {}): GpioInput {
    checkGpioLine(line)
    return new SimulatedInput(this, line, options)
  }

  /** An output port on `line`. */
  output(line: number, options: GpioOutputOptions = {}): GpioOutput {
    checkGpioLine(line)
    return new SimulatedOutput(this, line, options.activeLow ?? false)
  }

  /** @internal ports claim and release their line here. */
  claim(line: number): void {
    if (this.#unusable.delete(line) || this.#claimed.has(line)) {
      throw new SdkError('local.io_failed', `couldn't open GPIO line ${line}: it is busy`, {
        ctx: { line },
      })
    }
    this.#claimed.add(line)
  }

  /** @internal */
  release(line: number): void {
    this.#claimed.delete(line)
  }

  /** @internal */
  addWatcher(line: number, watcher: Watcher): () => void {
    const set = this.#watchers.get(line) ?? new Set<Watcher>()
    this.#watchers.set(line, set)
    set.add(watcher)
    return () => set.delete(watcher)
  }
}

function notOpen(line: number, what: string): SdkError {
  return new SdkError('local.invalid_state', `couldn't ${what} GPIO line ${line}: it isn't open`, {
    ctx: { line },
  })
}

class SimulatedInput implements GpioInput {
  readonly description: string
  readonly #chip: SimulatedGpio
  readonly #line: number
  readonly #options: GpioInputOptions
  readonly #unwatch = new Set<() => void>()
  #open = false

  constructor(chip: SimulatedGpio, line: number, options: GpioInputOptions) {
    this.#chip = chip
    this.#line = line
    this.#options = options
    this.description = `simulated:${line}`
  }

  async open(): Promise<void> {
    this.#chip.claim(this.#line)
    this.#open = true
  }

  read(): Promise<boolean> {
    if (!this.#open) return Promise.reject(notOpen(this.#line, 'read'))
    return Promise.resolve(this.#chip.level(this.#line) !== (this.#options.activeLow ?? false))
  }

  watch(listener: GpioListener): () => void {
    if (!this.#open) throw notOpen(this.#line, 'watch')
    const remove = this.#chip.addWatcher(this.#line, {
      listener,
      activeLow: this.#options.activeLow ?? false,
      edge: this.#options.edge ?? 'both',
    })
    this.#unwatch.add(remove)
    return () => {
      remove()
      this.#unwatch.delete(remove)
    }
  }

  close(): Promise<void> {
    for (const remove of this.#unwatch) remove()
    this.#unwatch.clear()
    if (this.#open) this.#chip.release(this.#line)
    this.#open = false
    return Promise.resolve()
  }
}

class SimulatedOutput implements GpioOutput {
  readonly description: string
  readonly #chip: SimulatedGpio
  readonly #line: number
  readonly #activeLow: boolean
  #open = false

  constructor(chip: SimulatedGpio, line: number, activeLow: boolean) {
    this.#chip = chip
    this.#line = line
    this.#activeLow = activeLow
    this.description = `simulated:${line}`
  }

  async open(): Promise<void> {
    this.#chip.claim(this.#line)
    this.#open = true
    this.#chip.drive(this.#line, this.#activeLow)
  }

  write(level: boolean): Promise<void> {
    if (!this.#open) return Promise.reject(notOpen(this.#line, 'set'))
    this.#chip.drive(this.#line, level !== this.#activeLow)
    return Promise.resolve()
  }

  read(): Promise<boolean> {
    if (!this.#open) return Promise.reject(notOpen(this.#line, 'read'))
    return Promise.resolve(this.#chip.level(this.#line) !== this.#activeLow)
  }

  close(): Promise<void> {
    if (this.#open) this.#chip.release(this.#line)
    this.#open = false
    return Promise.resolve()
  }
}
