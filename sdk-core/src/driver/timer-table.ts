/**
 * @module timer table: the real timers behind the core's `timer.set`/`timer.cancel` actions.
 * One live timer per id (setting an id again replaces it); deadlines past setTimeout's
 * 2^31−1 ms limit (certificate renewal months ahead) are reached in several hops.
 */

const MAX_DELAY_MS = 2_147_483_647

export class TimerTable<Id> {
  readonly #timers = new Map<Id, ReturnType<typeof setTimeout>>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** Calls `fire` once at `atMs` (absolute, ms since the epoch), unless cancelled first. */
  set(id: Id, atMs: number, fire: () => void): void {
    this.cancel(id)
    const arm = (): void => {
      const delay = Math.max(0, atMs - this.#now())
      const handle = setTimeout(
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
    const handle = this.#timers.get(id)
    if (handle !== undefined) clearTimeout(handle)
    this.#timers.delete(id)
  }

  clear(): void {
    for (const handle of this.#timers.values()) clearTimeout(handle)
    this.#timers.clear()
  }

  get size(): number {
    return this.#timers.size
  }
}
