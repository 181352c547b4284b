/**
 * @module sqlite retention queue: the `stored` queue (spec §3.9). A message is in the WAL when
 * `enqueue` returns. Ids increase across restarts (AUTOINCREMENT) and are never issued twice by
 * one process: AUTOINCREMENT's counter rolls back with a transaction, so a rolled-back id would
 * come again, and whatever still named the first message (a publish in flight) would name
 * another. The queue issues ids itself, above the highest it ever issued. Count and byte totals
 * are cached: the process owning the file is the only writer.
 *
 * A row never changes and its id is never issued again, so a message read once is that row for
 * as long as the row exists: `peek` reads the ids first and builds only the messages it did not
 * hand out at its last call. sdk-core's cursor reads the messages it has in flight again at every
 * refill (`claimed + BATCH` rows); read whole, that was each `stored` message read about twice,
 * each time a row object, a BLOB Buffer (a native allocation) and its message, the SQLite store's
 * largest share of the garbage a `stored` send makes (measured: 1.3 of 9.3 KB per send).
 */
import type { SqliteDatabase, SqliteStatement } from '@astarte-ts/sqlite'
import type { NewQueuedMessage, QueuedMessage, RetentionQueue } from '@astarte-ts/sdk-core'
import { blobBytes } from './bytes.js'
import { admit, fits } from './queue-bounds.js'
import type { QueueBounds } from './queue-bounds.js'

interface Row {
  id: number
  topic: string
  payload: Buffer
  qos: 0 | 1 | 2
  created: number
  expires: number | null
}

const toMessage = (r: Row): QueuedMessage => ({
  id: r.id,
  topic: r.topic,
  payload: blobBytes(r.payload),
  qos: r.qos,
  createdMs: r.created,
  expiresMs: r.expires,
})

const EVICT_CHUNK = 256
// Most messages `peek` keeps for its next call: sdk-core's cursor asks for its in-flight window
// plus one batch (at most 65 535 + 100); a larger read (a tool listing the queue) keeps none.
const MAX_HANDED_OUT = 65_535 + 100

export class SqliteRetentionQueue implements RetentionQueue {
  readonly bounds: QueueBounds
  readonly #insert: SqliteStatement<[number, string, Uint8Array, number, number, number | null]>
  readonly #oldest: SqliteStatement<[number, number], { id: number; size: number }>
  readonly #deleteUpTo: SqliteStatement<[number]>
  readonly #deleteOne: SqliteStatement<[number], { size: number }>
  readonly #expire: SqliteStatement<[number], { size: number }>
  readonly #peekIds: SqliteStatement<[number], { id: number }>
  readonly #peekFrom: SqliteStatement<[number, number], Row>
  // what the last `peek` returned, by id (at most its `limit` messages)
  #handedOut = new Map<number, QueuedMessage>()
  readonly #totals: SqliteStatement<[], { n: number; b: number }>
  readonly #evictAndInsert: (m: NewQueuedMessage) => QueuedMessage
  #count: number
  #bytes: number
  #dropped = 0
  // the highest id issued, never lowered by a rollback
  #lastId: number

  constructor(db: SqliteDatabase, bounds: QueueBounds) {
    this.bounds = bounds
    this.#insert = db.prepare(
      'INSERT INTO queue (id, topic, payload, qos, created, expires) VALUES (?, ?, ?, ?, ?, ?)',
    )
    this.#oldest = db.prepare(
      'SELECT id, length(payload) AS size FROM queue WHERE id > ? ORDER BY id LIMIT ?',
    )
    this.#deleteUpTo = db.prepare('DELETE FROM queue WHERE id <= ?')
    this.#deleteOne = db.prepare('DELETE FROM queue WHERE id = ? RETURNING length(payload) AS size')
    // Same rule as sdk-core's `isExpired` (spec §3.9): gone once `nowMs` reaches `expires`.
    this.#expire = db.prepare(
      `DELETE FROM queue WHERE expires IS NOT NULL AND expires <= ?
       RETURNING length(payload) AS size`,
    )
    this.#peekIds = db.prepare('SELECT id FROM queue ORDER BY id LIMIT ?')
    this.#peekFrom = db.prepare('SELECT * FROM queue WHERE id >= ? ORDER BY id LIMIT ?')
    this.#totals = db.prepare(
      'SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS b FROM queue',
    )
    const totals = this.#totals.get()
    this.#count = totals?.n ?? 0
    this.#bytes = totals?.b ?? 0
    const issued = db
      .prepare<[], { id: number }>(
        `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'queue'), 0),
                    coalesce((SELECT max(id) FROM queue), 0)) AS id`,
      )
      .get()
    this.#lastId = issued?.id ?? 0
    this.#evictAndInsert = (m: NewQueuedMessage) =>
      db.transaction(() => {
        this.#evictFor(m.payload.byteLength)
        return this.#insertRow(m)
      })
  }

  enqueue(message: NewQueuedMessage): QueuedMessage {
    const size = message.payload.byteLength
    admit(this.bounds, 'stored', this.#count, this.#bytes, size)
    // Fast path: one INSERT commits by itself (or joins the caller's batch).
    if (fits(this.bounds, this.#count, this.#bytes, size)) return this.#insertRow(message)
    const before = { count: this.#count, bytes: this.#bytes, dropped: this.#dropped }
    let queued: QueuedMessage
    try {
      queued = this.#evictAndInsert(message)
    } catch (e) {
      // The transaction rolled back: so do the cached totals.
      this.#count = before.count
      this.#bytes = before.bytes
      this.#dropped = before.dropped
      throw e
    }
    const dropped = this.#dropped - before.dropped
    this.bounds.onOverflow({ queue: 'stored', dropped, droppedTotal: this.#dropped })
    return queued
  }

  #insertRow(m: NewQueuedMessage): QueuedMessage {
    const id = this.#lastId + 1
    this.#insert.run(id, m.topic, m.payload, m.qos, m.createdMs, m.expiresMs)
    this.#lastId = id
    this.#count++
    this.#bytes += m.payload.byteLength
    // no copy: what the queue keeps is the row just written, and the caller's bytes stay the
    // caller's (a copy here was one more native buffer per `stored` send, freed only by a GC)
    return { ...m, id }
  }

  /** `drop-oldest`: deletes from the head until a message of `size` bytes fits. */
  #evictFor(size: number): void {
    let lastId = 0
    let count = this.#count
    let bytes = this.#bytes
    while (!fits(this.bounds, count, bytes, size)) {
      const rows = this.#oldest.all(lastId, EVICT_CHUNK)
      if (rows.length === 0) break
      for (const r of rows) {
        if (fits(this.bounds, count, bytes, size)) break
        lastId = r.id
        count--
        bytes -= r.size
      }
    }
    this.#deleteUpTo.run(lastId)
    this.#dropped += this.#count - count
    this.#count = count
    this.#bytes = bytes
  }

  peek(limit: number, nowMs: number): QueuedMessage[] {
    const expired = this.#expire.all(nowMs)
    for (const r of expired) this.#bytes -= r.size
    this.#count -= expired.length
    const ids = this.#peekIds.all(Math.max(0, Math.floor(limit)))
    const handedOut = new Map<number, QueuedMessage>()
    const messages: QueuedMessage[] = []
    for (const { id } of ids) {
      const known = this.#handedOut.get(id)
      if (known === undefined) break
      messages.push(known)
      handedOut.set(id, known)
    }
    // from the first id not handed out, every row is read: those enqueued since the last peek or
    // beyond its limit, and a row back after its removal was rolled back
    const first = ids[messages.length]
    if (first !== undefined) {
      for (const row of this.#peekFrom.all(first.id, ids.length - messages.length)) {
        const message = toMessage(row)
        messages.push(message)
        handedOut.set(message.id, message)
      }
    }
    this.#handedOut = handedOut.size <= MAX_HANDED_OUT ? handedOut : new Map()
    return messages
  }

  remove(id: number): void {
    this.#handedOut.delete(id)
    const gone = this.#deleteOne.get(id)
    if (gone === undefined) return
    this.#count--
    this.#bytes -= gone.size
  }

  count(): number {
    return this.#count
  }

  /** Messages evicted by `drop-oldest` over this handle's life. */
  get droppedCount(): number {
    return this.#dropped
  }

  /** Payload bytes currently queued. */
  get byteSize(): number {
    return this.#bytes
  }

  /** Re-reads the cached totals, after an enclosing transaction rolled back. */
  reloadTotals(): void {
    const totals = this.#totals.get()
    this.#count = totals?.n ?? 0
    this.#bytes = totals?.b ?? 0
  }
}
