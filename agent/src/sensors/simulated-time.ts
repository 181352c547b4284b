/**
 * @module simulated time: a clock that moves only when someone sleeps on it. Drivers wait through
 * a `Sleep`; handing them `SimulatedTime.sleep` makes a chip model's conversion time pass
 * exactly as the driver waits for it, with no real delay and no race with a loaded machine.
 */
import type { Clock } from '@astarte-ts/sdk-core'

/** Waits `ms` milliseconds. */
export type Sleep = (ms: number) => Promise<void>

/** The real wait, on the host's timers. */
export const realSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

/** Time that passes only through `sleep` (and `advance`). */
export class SimulatedTime implements Clock {
  #nowMs: number

  constructor(startMs = 0) {
    this.#nowMs = startMs
  }

  now(): number {
    return this.#nowMs
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.#nowMs += ms
  }

  /** Moves time forward by `ms` and resolves at once (a `Sleep`). */
  readonly sleep: Sleep = (ms) => {
    this.advance(ms)
    return Promise.resolve()
  }
}
