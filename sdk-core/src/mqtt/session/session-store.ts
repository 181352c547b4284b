/**
 * @module mqtt session-store: the MQTT session state that outlives a connection (§4.1): ops
 * waiting for a slot, ops in flight by packet id, and incoming QoS 2 ids awaiting PUBREL.
 * Invariant: an id is in `inflight` from its first write until its final ack, and is never handed
 * to another op meanwhile; at most `maxInflight` (≤ 65 535) ids are in flight.
 */
import { Deque } from '../../device/deque.js'
import type { OutgoingOp } from './outgoing-op.js'

const MAX_PACKET_ID = 0xffff

export class SessionStore {
  readonly maxInflight: number
  /** Accepted ops without a packet id yet, oldest first (backpressure: no op is ever dropped). */
  readonly pending = new Deque<OutgoingOp>()
  /** Ops awaiting their ack; Map order is first-send order, the resend order [MQTT-4.6.0-1]. */
  readonly inflight = new Map<number, OutgoingOp>()
  /** [MQTT-4.3.3-2] incoming QoS 2 ids delivered once and held until their PUBREL. */
  readonly incomingQos2 = new Set<number>()
  /**
   * How many of the oldest `pending` ops were accepted before the last accepted connection ended.
   * With everything in `inflight` they are what that connection carried over: a resumed session
   * completes them, a lost one drops them (see `connect.ts`).
   */
  carriedPending = 0
  #nextId = 1

  constructor(maxInflight: number) {
    this.maxInflight = Math.max(1, Math.min(MAX_PACKET_ID, Math.floor(maxInflight)))
  }

  get hasSlot(): boolean {
    return this.inflight.size < this.maxInflight
  }

  /** A free packet id, registered to `op`; call only when `hasSlot`. */
  allocate(op: OutgoingOp): number {
    // Terminates: fewer than 65 535 ids are in flight when there is a slot.
    while (this.inflight.has(this.#nextId)) this.#advance()
    const id = this.#nextId
    this.#advance()
    this.inflight.set(id, op)
    return id
  }

  #advance(): void {
    this.#nextId = this.#nextId === MAX_PACKET_ID ? 1 : this.#nextId + 1
  }
}
