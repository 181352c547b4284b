/**
 * @module manual clock: time that moves only when a test says so. Timers fire in time order
 * (ties in the order they were set) and the clock reads each timer's time while it fires.
 */
import type { Clock } from '@astarte-ts/sdk-core'

interface Timer {
  readonly atMs: number
  readonly seq: number
  readonly fire: () => void
}

const earlier = (a: Timer, b: Timer): number => a.atMs - b.atMs || a.seq - b.seq

export class ManualClock implements Clock {
  #nowMs: number
  #seq = 0
  readonly #timers = new Map<string, Timer>()

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs
  }

  now(): number {
    return this.#nowMs
  }

  /** Sets (or replaces) timer `id`. */
  set(id: string, atMs: number, fire: () => void): void {
    this.#timers.set(id, { atMs, seq: this.#seq++, fire })
  }

  cancel(id: string): void {
    this.#timers.delete(id)
  }

  /** When timer `id` fires, if it is set. */
  timerAt(id: string): number | undefined {
    return this.#timers.get(id)?.atMs
  }

  /** Ids of the timers set, soonest first. */
  pending(): string[] {
    return [...this.#timers.entries()].sort(([, a], [, b]) => earlier(a, b)).map(([id]) => id)
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#nowMs + ms
    for (;;) {
      let next: [string, Timer] | undefined
      for (const entry of this.#timers) {
        if (entry[1].atMs > target) continue
        if (next === undefined || earlier(entry[1], next[1]) < 0) next = entry
      }
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.#nowMs = Math.max(this.#nowMs, next[1].atMs)
      next[1].fire()
    }
    this.#nowMs = target
  }
}
