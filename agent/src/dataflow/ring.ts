/**
 * @module ring: a bounded FIFO over a fixed array. Pushing into a full ring is the caller's
 * decision (`dropOldest` first), so no item ever leaves it uncounted.
 */
export class Ring<T> {
  readonly #items: (T | undefined)[]
  #head = 0
  #length = 0

  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(capacity)
  }

  get length(): number {
    return this.#length
  }

  get full(): boolean {
    return this.#length === this.capacity
  }

  /** Appends; the ring must not be full. */
  push(item: T): void {
    this.#items[(this.#head + this.#length) % this.capacity] = item
    this.#length++
  }

  /** Removes and returns the oldest item; the ring must not be empty. */
  shift(): T {
    const item = this.#items[this.#head] as T
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) % this.capacity
    this.#length--
    return item
  }

  /** Drops the oldest item; the ring must not be empty. */
  dropOldest(): void {
    this.shift()
  }

  /** Empties the ring, returning how many items it held. */
  clear(): number {
    const n = this.#length
    while (this.#length > 0) this.shift()
    return n
  }
}
