/**
 * @module led: the port through which the LED feature drives one LED, and the simulated LED that
 * records an on/off timeline (tests, the demo). The real ones: `SysfsLed` (`/sys/class/leds`) and
 * `GpioLed` (a GPIO line through `onoff`).
 */
import type { Clock } from '@astarte-ts/sdk-core'

/** One LED. Calls come in order; an implementation applies them in that order. */
export interface Led {
  /** How logs name it: `sysfs:<name>`, `gpio:<line>`, `simulated`. */
  readonly description: string
  /**
   * Makes it usable (checks it exists, claims a GPIO line). Rejects with an `SdkError` when it
   * can't be used; the feature then leaves the LED out.
   */
  open(): Promise<void>
  /** Switches it on or off; settles once applied. */
  set(on: boolean): Promise<void>
  /** Waits for the writes still pending, then releases what `open` claimed. */
  close(): Promise<void>
}

/** One change of a {@link SimulatedLed}. */
export interface LedChange {
  /** The clock's time of the change, in ms since the epoch. */
  readonly atMs: number
  readonly on: boolean
}

/** A LED that only records: every `set` is a timeline entry at the clock's time. */
export class SimulatedLed implements Led {
  readonly description = 'simulated'
  readonly #clock: Clock
  readonly #onChange: ((change: LedChange) => void) | undefined
  readonly #timeline: LedChange[] = []

  /** `onChange` is told of each change as it is recorded (the demo draws it). */
  constructor(clock: Clock, onChange?: (change: LedChange) => void) {
    this.#clock = clock
    this.#onChange = onChange
  }

  /** Every change so far, oldest first. */
  get timeline(): readonly LedChange[] {
    return this.#timeline
  }

  /** The LED's state: off until the first change. */
  get on(): boolean {
    return this.#timeline[this.#timeline.length - 1]?.on ?? false
  }

  open(): Promise<void> {
    return Promise.resolve()
  }

  set(on: boolean): Promise<void> {
    const change = { atMs: this.#clock.now(), on }
    this.#timeline.push(change)
    this.#onChange?.(change)
    return Promise.resolve()
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
