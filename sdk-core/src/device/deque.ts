/** @module deque: a FIFO with O(1) amortised push and shift, for 100 000-message backlogs. */
export class Deque<T> {
  #items: (T | undefined)[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(item: T): void {
    this.#items.push(item)
  }

  peek(): T | undefined {
    return this.#items[this.#head]
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    // emptied: start over, so that a queue that only ever holds a few never grows its array
    if (this.#head === this.#items.length) {
      // a new array, not `length = 0`: Espruino refuses to shrink an array that way
      this.#items = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      // drop the consumed prefix once it is most of the array
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Empties the deque, returning what it held in order. */
  drain(): T[] {
    const rest = this.#items.slice(this.#head) as T[]
    this.#items = []
    this.#head = 0
    return rest
  }
}
