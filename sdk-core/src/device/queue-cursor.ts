/**
 * @module queue cursor: reads a `RetentionQueue` in order without re-reading it per message.
 * Messages stay in the queue until acknowledged; the cursor remembers which ones are claimed
 * (in flight, or parked after a failed publish) and hands out the others oldest first.
 *
 * What it read may stop being true when a store transaction rolls back: rows enqueued in it
 * vanish (and their ids may be issued again), rows removed in it come back. `reload` forgets
 * what was read; a row the broker acknowledged whose removal was undone stays `unrecorded`:
 * never handed out again by this process (it was delivered), its removal retried by
 * `retryRemovals` until the store records it.
 */
import type { QueuedMessage, RetentionQueue } from '../ports.js'

// Messages read per refill: a refill costs `claimed + BATCH` rows, so a SQLite queue is read
// about twice per message however long the backlog.
const BATCH = 100

export class QueueCursor {
  readonly queue: RetentionQueue
  readonly #claimed = new Set<number>()
  readonly #unrecorded = new Set<number>()
  #buffer: QueuedMessage[] = []
  #next = 0
  // true when the last refill saw the end of the queue and nothing was enqueued since
  #exhausted = false

  constructor(queue: RetentionQueue) {
    this.queue = queue
  }

  /** The oldest unclaimed message, if any; it stays available until `claim` or `drop`. */
  head(nowMs: number): QueuedMessage | undefined {
    if (this.#next >= this.#buffer.length && !this.#exhausted) {
      const skipped = this.#claimed.size + this.#unrecorded.size
      const peeked = this.queue.peek(skipped + BATCH, nowMs)
      const fresh = peeked.filter((m) => !this.#claimed.has(m.id) && !this.#unrecorded.has(m.id))
      this.#buffer = fresh
      this.#next = 0
      this.#exhausted = peeked.length < skipped + BATCH
    }
    return this.#buffer[this.#next]
  }

  /** Whether the cursor knows, without reading the queue, that it has nothing to hand out. */
  drained(): boolean {
    return this.#exhausted && this.#next >= this.#buffer.length
  }

  /** The head goes in flight (or is parked): it is not handed out again on this connection. */
  claim(id: number): void {
    this.#claimed.add(id)
    this.#next++
  }

  /** A claimed message was never published after all (its publish was withheld). */
  unclaim(id: number): void {
    this.#claimed.delete(id)
  }

  /** The head leaves the queue unsent (expired, obsolete). */
  drop(id: number): void {
    this.queue.remove(id)
    this.#next++
  }

  /**
   * The broker acknowledged a claimed message. A removal that throws outside a store transaction
   * leaves the row in the queue, delivered: it is `unrecorded` as a rolled-back one is.
   */
  acked(id: number): void {
    this.#claimed.delete(id)
    try {
      this.queue.remove(id)
    } catch (e) {
      this.#unrecorded.add(id)
      throw e
    }
  }

  /** The removal of an acknowledged message was rolled back: it is back in the queue, delivered. */
  unrecorded(id: number): void {
    this.#unrecorded.add(id)
  }

  /** Acknowledged messages whose removal the store has not recorded yet. */
  get unrecordedCount(): number {
    return this.#unrecorded.size
  }

  /**
   * Removes the acknowledged messages the store has not recorded yet; returns their ids (when
   * this write too is rolled back, each goes back through `unrecorded`).
   */
  retryRemovals(): number[] {
    const ids = [...this.#unrecorded]
    for (const id of ids) this.queue.remove(id)
    this.#unrecorded.clear()
    return ids
  }

  /** Something was enqueued behind the buffer. */
  grew(): void {
    this.#exhausted = false
  }

  /** Forgets what was read: the queue changed under the cursor (a rolled-back transaction). */
  reload(): void {
    this.#buffer = []
    this.#next = 0
    this.#exhausted = false
  }

  /**
   * A new connection replays everything still queued, except `keep`: messages the transport
   * re-sends itself on a resumed session.
   */
  rewind(keep: ReadonlySet<number>): void {
    for (const id of this.#claimed) if (!keep.has(id)) this.#claimed.delete(id)
    this.reload()
  }
}
