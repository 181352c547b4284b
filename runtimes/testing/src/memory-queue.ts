/**
 * @module memory queue: a `RetentionQueue` in memory. Messages leave only through `remove` or
 * expiry; `peek` is proportional to what it returns plus what it drops, so draining a queue of
 * 100 000 messages stays linear.
 */
import { isExpired } from '@astarte-ts/sdk-core'
import type { NewQueuedMessage, QueuedMessage, RetentionQueue } from '@astarte-ts/sdk-core'

export class MemoryQueue implements RetentionQueue {
  #order: QueuedMessage[] = []
  #head = 0
  readonly #live = new Map<number, QueuedMessage>()
  #nextId = 1

  enqueue(message: NewQueuedMessage): QueuedMessage {
    const queued = { ...message, payload: message.payload.slice(), id: this.#nextId++ }
    this.#order.push(queued)
    this.#live.set(queued.id, queued)
    return queued
  }

  peek(limit: number, nowMs: number): QueuedMessage[] {
    const out: QueuedMessage[] = []
    for (let i = this.#head; i < this.#order.length && out.length < limit; i++) {
      const m = this.#order[i] as QueuedMessage
      if (!this.#live.has(m.id)) continue
      if (isExpired(m, nowMs)) this.#live.delete(m.id)
      else out.push(m)
    }
    this.#compact()
    return out
  }

  remove(id: number): void {
    this.#live.delete(id)
    this.#compact()
  }

  count(): number {
    return this.#live.size
  }

  // advance past removed heads; drop the dead prefix once it dominates the array
  #compact(): void {
    const order = this.#order
    while (this.#head < order.length && !this.#live.has((order[this.#head] as QueuedMessage).id)) {
      this.#head++
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head)
      this.#head = 0
    }
  }
}
