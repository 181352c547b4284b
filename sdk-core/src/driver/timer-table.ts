/**
 * @module timer table: the host timers behind the machine's `timer.set`/`timer.cancel` actions.
 * One live timer per id (setting an id again replaces it); deadlines past the host's timer
 * limit (2^31−1 ms on most engines: certificate renewal months ahead) are reached in hops.
 */
import type { Clock, TimerHandle, Timers } from '../ports.js'

const MAX_DELAY_MS = 2_147_483_647

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
          if (delay > MAX_DELAY_MS) {
            arm()
            return
          }
          this.#timers.delete(id)
          fire()
        },
        Math.min(delay, MAX_DELAY_MS),
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
