/** @module memory retention queue: the `volatile` queue; ids increase, bounds as for `stored` */
import { isExpired } from '@astarte-ts/sdk-core'
import type { NewQueuedMessage, QueuedMessage, RetentionQueue } from '@astarte-ts/sdk-core'
import { admit, fits, resolveBounds } from './queue-bounds.js'
import type { QueueBounds, QueueBoundsOptions } from './queue-bounds.js'

/** Binary search: ids are assigned increasing and the array keeps enqueue order. */
function indexOfId(messages: readonly QueuedMessage[], id: number): number {
  let lo = 0
  let hi = messages.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const at = messages[mid]?.id ?? 0
    if (at === id) return mid
    if (at < id) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

/** In-memory `RetentionQueue` (spec §3.9 `volatile`): lost on restart by design. */
export class MemoryRetentionQueue implements RetentionQueue {
  readonly bounds: QueueBounds
  #messages: QueuedMessage[] = []
  #bytes = 0
  #nextId = 1
  #dropped = 0

  constructor(options: QueueBoundsOptions = {}) {
    this.bounds = resolveBounds(options)
  }

  enqueue(message: NewQueuedMessage): QueuedMessage {
    const size = message.payload.byteLength
    admit(this.bounds, 'volatile', this.#messages.length, this.#bytes, size)
    let dropped = 0
    while (!fits(this.bounds, this.#messages.length, this.#bytes, size)) {
      const oldest = this.#messages.shift()
      if (oldest === undefined) break
      this.#bytes -= oldest.payload.byteLength
      dropped++
    }
    const payload = message.payload.slice()
    const queued: QueuedMessage = { ...message, payload, id: this.#nextId++ }
    this.#messages.push(queued)
    this.#bytes += size
    if (dropped > 0) {
      this.#dropped += dropped
      this.bounds.onOverflow({ queue: 'volatile', dropped, droppedTotal: this.#dropped })
    }
    return queued
  }

  peek(limit: number, nowMs: number): QueuedMessage[] {
    const live = this.#messages.filter((m) => !isExpired(m, nowMs))
    if (live.length !== this.#messages.length) {
      this.#messages = live
      this.#bytes = live.reduce((n, m) => n + m.payload.byteLength, 0)
    }
    return live.slice(0, Math.max(0, limit))
  }

  remove(id: number): void {
    const i = indexOfId(this.#messages, id)
    if (i < 0) return
    const [gone] = this.#messages.splice(i, 1)
    this.#bytes -= gone?.payload.byteLength ?? 0
  }

  count(): number {
    return this.#messages.length
  }

  /** Messages evicted by `drop-oldest` since construction. */
  get droppedCount(): number {
    return this.#dropped
  }
}
