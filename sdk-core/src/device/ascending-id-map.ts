/**
 * @module ascending id map: a map keyed by integer ids that are handed out in ascending order and
 * mostly removed in that order (the publishes in flight, the sends awaiting their outcome).
 *
 * Why not a `Map`: churned this way (one insert and one delete per message), V8's `Map` keeps
 * each deleted entry until its table fills, then allocates a new table; on the send path that
 * rehashing and the garbage it makes were about 40 % of the SDK's own cost per message. Here the
 * live ids sit in an array window that starts at the oldest of them, so `set`, `get` and
 * `delete` index an array. Ids outside the window (older than it, or far ahead of it) and old
 * stragglers the window leaves behind are kept in a side `Map`, so memory stays proportional to
 * the live entries whatever order they are removed in.
 */
import { SdkError } from '../errors.js'

// Holes tolerated in the window before stragglers are moved aside: the window stays within
// max(MIN_SPAN, 2 × its live entries) slots.
const MIN_SPAN = 64
// Consumed array prefix dropped once it is this long and most of the array (as `Deque` does).
const COMPACT_AT = 1024

/**
 * A map from non-negative safe-integer ids to values, for ids issued in ascending order: what a
 * runtime keeps per pending send (by `OpId`) and the core per publish in flight. Any order of
 * `set` and `delete` is correct; ascending ids removed roughly oldest first are what is fast.
 */
export class AscendingIdMap<V extends NonNullable<unknown>> {
  // slot `#head + k` holds id `#base + k`; `undefined` is a hole. The slot at `#head` is live
  // whenever the window is not empty.
  #slots: (V | undefined)[] = []
  #head = 0
  #base = 0
  #live = 0
  // entries whose id is below `#base`
  readonly #aside = new Map<number, V>()

  /** How many entries there are. */
  get size(): number {
    return this.#live + this.#aside.size
  }

  /** The window's length in slots, live or not (tests check it stays bounded). @internal */
  get windowSpan(): number {
    return this.#slots.length - this.#head
  }

  /** The value of `id`, if it is there. */
  get(id: number): V | undefined {
    const k = id - this.#base
    if (k < 0) return this.#aside.get(id)
    return k < this.#slots.length - this.#head ? this.#slots[this.#head + k] : undefined
  }

  /**
   * Adds or replaces the value of `id`.
   * @throws SdkError `local.invalid_argument` unless `id` is a non-negative safe integer.
   */
  set(id: number, value: V): this {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new SdkError(
        'local.invalid_argument',
        `couldn't keep an entry: id ${id} is not a non-negative safe integer`,
        { ctx: { id } },
      )
    }
    const k = id - this.#base
    const span = this.#slots.length - this.#head
    if (k < 0) {
      this.#aside.set(id, value)
    } else if (k < span) {
      if (this.#slots[this.#head + k] === undefined) this.#live++
      this.#slots[this.#head + k] = value
    } else {
      if (this.#live === 0) {
        // an empty window starts again at `id`, reusing its array
        this.#base = id
      } else if (k - span > Math.max(MIN_SPAN, span)) {
        // far ahead: the window's entries go aside rather than filling the gap with holes
        this.#setAsideAll()
        this.#base = id
      } else {
        for (let i = span; i < k; i++) this.#slots.push(undefined)
      }
      this.#slots.push(value)
      this.#live++
    }
    return this
  }

  /** Removes `id`; whether it was there. */
  delete(id: number): boolean {
    const k = id - this.#base
    if (k < 0) return this.#aside.delete(id)
    const i = this.#head + k
    if (this.#slots[i] === undefined) return false
    this.#slots[i] = undefined
    this.#live--
    if (k === 0) this.#skipHoles()
    // a few old entries holding the window open behind many newer holes go aside
    while (this.windowSpan > MIN_SPAN && this.#live * 2 < this.windowSpan) {
      this.#aside.set(this.#base, this.#slots[this.#head] as V)
      this.#slots[this.#head] = undefined
      this.#live--
      this.#skipHoles()
    }
    this.#compact()
    return true
  }

  /** Every entry, as a copy: the ones set aside first, then the window's, oldest first. */
  entries(): [number, V][] {
    const out: [number, V][] = [...this.#aside]
    for (let i = this.#head; i < this.#slots.length; i++) {
      const value = this.#slots[i]
      if (value !== undefined) out.push([this.#base + i - this.#head, value])
    }
    return out
  }

  /** Every value, as a copy, in the order of `entries`. */
  values(): V[] {
    return this.entries().map(([, value]) => value)
  }

  /** Removes every entry. */
  clear(): void {
    this.#slots = []
    this.#head = 0
    this.#live = 0
    this.#aside.clear()
  }

  // advances the window's start past holes, so that its first slot is live (or it is empty)
  #skipHoles(): void {
    const slots = this.#slots
    while (this.#head < slots.length && slots[this.#head] === undefined) {
      this.#head++
      this.#base++
    }
  }

  #setAsideAll(): void {
    for (let i = this.#head; i < this.#slots.length; i++) {
      const value = this.#slots[i]
      if (value !== undefined) this.#aside.set(this.#base + i - this.#head, value)
    }
    this.#slots = []
    this.#head = 0
    this.#live = 0
  }

  #compact(): void {
    if (this.#head < COMPACT_AT || this.#head * 2 <= this.#slots.length) return
    this.#slots = this.#slots.slice(this.#head)
    this.#head = 0
  }
}
