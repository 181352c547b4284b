/**
 * @module outbox: every device publish goes through here. At most `maxInflight` publishes await
 * their ack; the rest wait in order and are never dropped for lack of room. A `discard` QoS 0
 * publish takes no room: nothing acknowledges it, it is a value the caller already holds in
 * memory, and the transport paces it (its outcome waits until the socket takes it), as the
 * broker's own in-flight limit counts QoS 1 and 2 only. Queued QoS 0 messages do take room, so a
 * replay never reads a whole queue into memory at once. Control publishes
 * (sync, introspection) go first; data only once released (after sync). Queue entries are
 * removed only when acknowledged, so a lost connection replays them (spec §3.9).
 *
 * Trade-off: a replay is a new PUBLISH with a new packet id. For QoS 1 a duplicate is allowed
 * anyway; for QoS 2 (`unique`) a message the broker received but whose PUBCOMP was lost with an
 * unplanned disconnect is ingested twice, because the broker dedups by packet id only — unless
 * the transport completes it itself and says so (`mqtt.connected`'s `resumed`). Planned
 * reconnects drain first (`drain.ts`). Losing a message is never traded for avoiding a duplicate.
 *
 * Store transactions (`begin`, `commit`, `rolledBack`): a rolled-back transaction may have
 * enqueued stored rows that no longer exist, or removed acknowledged ones that are back. Their
 * publishes are withheld (`withhold`), the stored cursor reloads, and the acknowledged rows stay
 * unsent until their removal is recorded. While the store can't write (`holdStored`), no stored
 * row is published: each acknowledgement would be lost, and the row published again.
 */
import { assertNever } from '../errors.js'
import type { NewQueuedMessage, QueuedMessage, Store } from '../ports.js'
import { isExpired } from '../protocol/retention.js'
import type { Qos } from '../protocol/qos.js'
import { Deque } from './deque.js'
import type { IdTable, IdTableFactory } from './id-table.js'
import { QueueCursor } from './queue-cursor.js'
import type { DeviceAction, MqttPublishAction, OpId } from './types.js'

export interface Outgoing {
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: Qos
}

/** What the machine learns when a control publish is acknowledged. */
export type ControlTag =
  { readonly type: 'syncStep' } | { readonly type: 'introspection'; readonly text: string }

export interface ControlPublish extends Outgoing {
  readonly source: 'control'
  readonly tag: ControlTag
}

/** An online `discard` message: completes on ack, fails if the connection drops first. */
export interface DirectPublish extends Outgoing {
  readonly source: 'direct'
  readonly opId: OpId
}

/** A `DirectPublish` waiting for room: its age orders it against the queues' messages. */
export interface WaitingDirectPublish extends DirectPublish {
  readonly createdMs: number
}

export type QueueName = 'stored' | 'volatile'

// control and direct publishes are their own in-flight entries (one object less per message)
type Queued = { readonly source: QueueName; readonly id: number }
type Inflight = ControlPublish | DirectPublish | Queued

/** The outcome of an ack, for the machine to act on: the control or direct publish, or data. */
export type Acked = ControlPublish | DirectPublish | { readonly source: 'data' }

const DATA: Acked = { source: 'data' }

/** Whether a queued message is dropped unsent. */
export type Obsolete = (message: QueuedMessage, queue: QueueName) => boolean

export interface OutboxCounters {
  sent: number
  acked: number
  dropped: number
}

export class Outbox {
  readonly #maxInflight: number
  readonly #counters: OutboxCounters
  // by publish id: ids are ours, ascending, and mostly acknowledged in order
  readonly #inflight: IdTable<Inflight>
  // the `discard` QoS 0 publishes among them, which take no room in the window
  #unwindowed = 0
  // queued messages in flight when the connection ended (or their publish failed), until the
  // next CONNACK says whether the transport completes them itself
  readonly #suspended = new Map<number, Queued>()
  readonly #control = new Deque<ControlPublish>()
  readonly #direct = new Deque<WaitingDirectPublish>()
  readonly #cursors: Readonly<Record<QueueName, QueueCursor>>
  #released = false
  #held = false
  #storedHeld = false
  #lastPublishId = 0
  // stored rows acknowledged within the open store transaction
  #txAcked: number[] | undefined

  constructor(store: Store, maxInflight: number, counters: OutboxCounters, table: IdTableFactory) {
    this.#inflight = table()
    this.#maxInflight = maxInflight
    this.#counters = counters
    this.#cursors = {
      stored: new QueueCursor(store.storedQueue),
      volatile: new QueueCursor(store.volatileQueue),
    }
  }

  get inflight(): number {
    return this.#inflight.size
  }

  /** Stored rows acknowledged whose removal the store has not recorded yet. */
  get unrecorded(): number {
    return this.#cursors.stored.unrecordedCount
  }

  get waiting(): number {
    const { stored, volatile } = this.#cursors
    return stored.queue.count() + volatile.queue.count() + this.#direct.length
  }

  enqueue(queue: QueueName, message: NewQueuedMessage): QueuedMessage {
    const queued = this.#cursors[queue].queue.enqueue(message)
    this.#cursors[queue].grew()
    return queued
  }

  control(publish: ControlPublish): void {
    this.#control.push(publish)
  }

  direct(publish: WaitingDirectPublish): void {
    this.#direct.push(publish)
  }

  /** Data may flow (the session is synced). */
  release(): void {
    this.#released = true
  }

  /** Nothing more is published on this connection (it is about to be replaced). */
  hold(): void {
    this.#held = true
  }

  /** Whether stored rows are published (false while the store can't write, see the module). */
  holdStored(held: boolean): void {
    this.#storedHeld = held
  }

  get storedHeld(): boolean {
    return this.#storedHeld
  }

  /** A store transaction begins: acknowledged stored rows are noted until it ends. */
  begin(): void {
    this.#txAcked = []
  }

  /** The store transaction committed. */
  commit(): void {
    this.#txAcked = undefined
  }

  /**
   * The store transaction rolled back: the rows it removed on acknowledgement are back but
   * delivered (see `QueueCursor.unrecorded`), and what the stored cursor read may be gone.
   */
  rolledBack(): void {
    for (const id of this.#txAcked ?? []) this.#cursors.stored.unrecorded(id)
    this.#txAcked = undefined
    this.#cursors.stored.reload()
  }

  /** Removes the acknowledged rows not recorded yet (see `QueueCursor.retryRemovals`). */
  retryRemovals(): void {
    for (const id of this.#cursors.stored.retryRemovals()) this.#noteAcked(id)
  }

  #noteAcked(id: number): void {
    if (this.#txAcked === undefined) return
    this.#txAcked.push(id)
  }

  /**
   * The publish `publishId` of a rolled-back transaction is not performed: a stored row (which
   * may not exist), or a control publish when `control` (it may carry a rolled-back property).
   * Its message is unclaimed, as if never published. Returns the source withheld, if any.
   */
  withhold(publishId: number, control: boolean): 'stored' | 'control' | undefined {
    const entry = this.#inflight.get(publishId)
    if (entry === undefined) return undefined
    if (entry.source !== 'stored' && !(control && entry.source === 'control')) return undefined
    this.#inflight.delete(publishId)
    this.#counters.sent--
    if (entry.source === 'stored') this.#cursors.stored.unclaim(entry.id)
    return entry.source
  }

  /**
   * The direct path of an online `discard` send (`DeviceMachine.sendDirect`): `publish` goes in
   * flight at once when `pump` would have published it next, with nothing else (data released,
   * room in the window, nothing waiting). `undefined` changes nothing: queue it with `direct`.
   */
  publishAlone(publish: DirectPublish): MqttPublishAction | undefined {
    return this.readyAlone(publish.qos) ? this.#publish(publish, publish) : undefined
  }

  /** Whether `publishAlone` would publish a `qos` message now (checked before its payload). */
  readyAlone(qos: Qos): boolean {
    return (
      !this.#held && this.#released && (qos === 0 || this.#roomLeft()) && this.#nothingWaiting()
    )
  }

  #roomLeft(): boolean {
    return this.#inflight.size - this.#unwindowed < this.#maxInflight
  }

  // takes `publishId` out of flight: its entry, if it was in flight
  #take(publishId: number): Inflight | undefined {
    const entry = this.#inflight.get(publishId)
    if (entry === undefined) return undefined
    this.#inflight.delete(publishId)
    if (entry.source === 'direct' && entry.qos === 0) this.#unwindowed--
    return entry
  }

  /**
   * The direct path of an ack (`DeviceMachine.ackDirect`): a `discard` send's publish, when the
   * `pump` that follows an ack would find nothing to publish. Its `OpId`, or `undefined`,
   * changing nothing.
   */
  ackedAlone(publishId: number): OpId | undefined {
    if (this.#inflight.get(publishId)?.source !== 'direct' || !this.#nothingWaiting())
      return undefined
    this.#counters.acked++
    return (this.#take(publishId) as DirectPublish).opId
  }

  // nothing to publish but what comes next: no control or direct publish waiting, and both
  // queues known to have nothing unsent without reading them
  #nothingWaiting(): boolean {
    return (
      this.#control.length === 0 &&
      this.#direct.length === 0 &&
      (this.#storedHeld || this.#cursors.stored.drained()) &&
      this.#cursors.volatile.drained()
    )
  }

  /**
   * Fills the window: control first, then data oldest first across queues. With the window full,
   * a `discard` QoS 0 publish still goes when it is the next to go (it takes no room).
   */
  pump(nowMs: number, obsolete: Obsolete, out: DeviceAction[]): void {
    while (!this.#held) {
      const room = this.#roomLeft()
      if (room) {
        const control = this.#control.shift()
        if (control !== undefined) {
          out.push(this.#publish(control, control))
          continue
        }
      } else if (this.#control.length > 0 || this.#direct.peek()?.qos !== 0) {
        return
      }
      if (!this.#released || !this.#pumpData(nowMs, obsolete, out, room)) return
    }
  }

  // publishes one data message (without `room`, only a waiting QoS 0 `discard` one); false when
  // there is none
  #pumpData(nowMs: number, obsolete: Obsolete, out: DeviceAction[], room: boolean): boolean {
    for (;;) {
      const stored = this.#storedHeld ? undefined : this.#cursors.stored.head(nowMs)
      const volatile = this.#cursors.volatile.head(nowMs)
      const direct = this.#direct.peek()
      // same topic ⇒ same mapping ⇒ same source, so per-topic order is each source's order;
      // across sources the oldest goes first, the retained backlog winning ties (spec §3.9)
      let pick: QueueName | 'direct' | undefined
      let oldest = Infinity
      if (stored !== undefined) {
        pick = 'stored'
        oldest = stored.createdMs
      }
      if (volatile !== undefined && volatile.createdMs < oldest) {
        pick = 'volatile'
        oldest = volatile.createdMs
      }
      if (direct !== undefined && direct.createdMs < oldest) pick = 'direct'
      if (pick === undefined || (!room && pick !== 'direct')) return false
      if (pick === 'direct') {
        const publish = this.#direct.shift() as WaitingDirectPublish
        out.push(this.#publish(publish, publish))
        return true
      }
      const message = (pick === 'stored' ? stored : volatile) as QueuedMessage
      const cursor = this.#cursors[pick]
      if (isExpired(message, nowMs) || obsolete(message, pick)) {
        cursor.drop(message.id)
        this.#counters.dropped++
        continue
      }
      cursor.claim(message.id)
      out.push(this.#publish(message, { source: pick, id: message.id }))
      return true
    }
  }

  /** `message` goes in flight as `inflight`: its publish, to perform. */
  #publish(message: Outgoing, inflight: Inflight): MqttPublishAction {
    const publishId = ++this.#lastPublishId
    this.#inflight.set(publishId, inflight)
    if (inflight.source === 'direct' && inflight.qos === 0) this.#unwindowed++
    this.#counters.sent++
    const { topic, payload, qos } = message
    return { type: 'mqtt.publish', publishId, topic, payload, qos }
  }

  /**
   * CONNACK: the publishes of earlier connections that the transport completes itself (`resumed`,
   * see `MqttConnected`) stay in flight; every other queued message is replayed from its queue.
   */
  connected(resumed: readonly number[]): void {
    const keep: Record<QueueName, Set<number>> = { stored: new Set(), volatile: new Set() }
    for (const publishId of resumed) {
      const entry = this.#suspended.get(publishId)
      if (entry === undefined) continue
      this.#inflight.set(publishId, entry)
      keep[entry.source].add(entry.id)
    }
    this.#suspended.clear()
    this.#cursors.stored.rewind(keep.stored)
    this.#cursors.volatile.rewind(keep.volatile)
  }

  /** Whether the ack of `publishId` writes the store: a stored-queue row or a control publish. */
  ackWritesStore(publishId: number): boolean {
    const source = this.#inflight.get(publishId)?.source
    return source === 'stored' || source === 'control'
  }

  /** The broker acknowledged `publishId`; `undefined` for ids of an earlier connection. */
  acked(publishId: number): Acked | undefined {
    const entry = this.#take(publishId)
    if (entry === undefined) return undefined
    this.#counters.acked++
    switch (entry.source) {
      case 'control':
      case 'direct':
        return entry
      case 'stored':
        // noted first: a removal that throws is rolled back with the transaction
        this.#noteAcked(entry.id)
        this.#cursors.stored.acked(entry.id)
        return DATA
      case 'volatile':
        this.#cursors.volatile.acked(entry.id)
        return DATA
      default:
        return assertNever(entry)
    }
  }

  /**
   * A publish failed (typically with its connection). Queued messages stay queued, suspended as
   * at a disconnect until the next CONNACK (see `connected`); the failed control or direct
   * publish is returned to the machine.
   */
  failed(publishId: number): Acked | undefined {
    const entry = this.#take(publishId)
    if (entry === undefined) return undefined
    switch (entry.source) {
      case 'control':
        return entry
      case 'direct':
        this.#counters.dropped++
        return entry
      case 'stored':
      case 'volatile':
        this.#suspended.set(publishId, entry)
        return DATA
      default:
        return assertNever(entry)
    }
  }

  /**
   * The connection ended: control publishes are void (the next sync redoes them), queued
   * messages in flight wait for the next CONNACK (see `connected`), and the `discard` messages
   * not acknowledged are given up and returned.
   */
  disconnected(): OpId[] {
    const lost: OpId[] = []
    for (const [publishId, entry] of this.#inflight.entries()) {
      if (entry.source === 'direct') lost.push(entry.opId)
      if (entry.source === 'stored' || entry.source === 'volatile') {
        this.#suspended.set(publishId, entry)
      }
    }
    for (const publish of this.#direct.drain()) lost.push(publish.opId)
    this.#counters.dropped += lost.length
    this.#inflight.clear()
    this.#unwindowed = 0
    this.#control.drain()
    this.#released = false
    this.#held = false
    return lost
  }
}
