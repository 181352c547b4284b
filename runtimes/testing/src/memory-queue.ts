/**
 * @module memory queue: a `RetentionQueue` in memory. Messages leave only through `remove` or
 * expiry; `peek` is proportional to what it returns plus what it drops, so draining a queue of
 * 100 000 messages stays linear. A `MemoryStore` transaction snapshots and restores it whole,
 * id counter included: like SQLite's AUTOINCREMENT, a rolled-back id is issued again.
 */
import { isExpired } from '@astarte-ts/sdk-core'
import type { NewQueuedMessage, QueuedMessage, RetentionQueue } from '@astarte-ts/sdk-core'

/** A queue's whole state, as `snapshot` took it. */
export interface MemoryQueueSnapshot {
  readonly order: readonly QueuedMessage[]
  readonly live: ReadonlyMap<number, QueuedMessage>
  readonly nextId: number
}

export interface MemoryQueueOptions {
  /** Called before every write (enqueue, remove, expiry); a throw refuses the write. */
  readonly beforeWrite?: () => void
}

export class MemoryQueue implements RetentionQueue {
  #order: QueuedMessage[] = []
  #head = 0
  #live = new Map<number, QueuedMessage>()
  #nextId = 1
  readonly #beforeWrite: () => void

  constructor(options: MemoryQueueOptions = {}) {
    this.#beforeWrite = options.beforeWrite ?? ((): void => undefined)
  }

  /** The whole state, for `restore` (a transaction's rollback). */
  snapshot(): MemoryQueueSnapshot {
    const order = this.#order.slice(this.#head)
    return { order, live: new Map(this.#live), nextId: this.#nextId }
  }

  restore(snapshot: MemoryQueueSnapshot): void {
    this.#order = [...snapshot.order]
    this.#head = 0
    this.#live = new Map(snapshot.live)
    this.#nextId = snapshot.nextId
  }

  enqueue(message: NewQueuedMessage): QueuedMessage {
    this.#beforeWrite()
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
      if (!isExpired(m, nowMs)) {
        out.push(m)
        continue
      }
      this.#beforeWrite()
      this.#live.delete(m.id)
    }
    this.#compact()
    return out
  }

  remove(id: number): void {
    if (!this.#live.has(id)) return
    this.#beforeWrite()
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
