/**
 * @module timer table: the host timers behind the machine's `timer.set`/`timer.cancel` actions.
 * One live timer per id (setting an id again replaces it). Deadlines are wall-clock times; those
 * more than an hour ahead (certificate renewal, months) are reached in hops of an hour, each
 * reading the clock again.
 */
import type { Clock, TimerHandle, Timers } from '../ports.js'

// Past the host's limit (2^31−1 ms on most engines) a delay fires at once, and a board without a
// battery-backed clock boots with a stale time that NTP sets later: a renewal scheduled before
// then must move with the clock, at most a hop late.
const HOP_MS = 3_600_000

export class TimerTable<Id> {
  readonly #timers = new Map<Id, TimerHandle>()
  readonly #host: Timers
  readonly #clock: Clock

  constructor(host: Timers, clock: Clock) {
    this.#host = host
    this.#clock = clock
  }

  /** Calls `fire` once at `atMs` (absolute, ms since the epoch), unless cancelled first. */
  set(id: Id, atMs: number, fire: () => void): void {
    this.cancel(id)
    const arm = (): void => {
      const delay = Math.max(0, atMs - this.#clock.now())
      const handle = this.#host.set(
        () => {
          if (delay > HOP_MS) {
            arm()
            return
          }
          this.#timers.delete(id)
          fire()
        },
        Math.min(delay, HOP_MS),
      )
      this.#timers.set(id, handle)
    }
    arm()
  }

  cancel(id: Id): void {
    if (!this.#timers.has(id)) return
    this.#host.clear(this.#timers.get(id))
    this.#timers.delete(id)
  }

  clear(): void {
    for (const handle of this.#timers.values()) this.#host.clear(handle)
    this.#timers.clear()
  }

  get size(): number {
    return this.#timers.size
  }
}
