/**
 * @module typed emitter: listeners are called synchronously in registration order; a throwing
 * listener never breaks the emitter or the other listeners (it is reported to `onListenerError`).
 */

/** Event name → listener argument. */
export type EventMap = object

export type Listener<T> = (event: T) => void

/** A small, typed alternative to `node:events` that never throws for missing `error` listeners. */
export class TypedEmitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>()
  readonly #onListenerError: (error: unknown, event: keyof E) => void

  constructor(onListenerError: (error: unknown, event: keyof E) => void) {
    this.#onListenerError = onListenerError
  }

  /** Registers `listener`; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener as Listener<never>)
    return () => this.off(event, listener)
  }

  /** Registers `listener` for the next `event` only. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (value) => {
      off()
      listener(value)
    })
    return off
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>)
  }

  emit<K extends keyof E>(event: K, value: E[K]): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        ;(listener as Listener<E[K]>)(value)
      } catch (e) {
        this.#onListenerError(e, event)
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  removeAllListeners(): void {
    this.#listeners.clear()
  }
}
