/**
 * @module mqtt session-store: the MQTT session state that outlives a connection (§4.1): ops
 * waiting for a slot, ops in flight by packet id, and incoming QoS 2 ids awaiting PUBREL; with an
 * `MqttSessionStore`, the publishes in flight and those ids outlive a reboot too.
 * Invariant: an id is in `inflight` from its first write until its final ack, and is never handed
 * to another op meanwhile; at most `maxInflight` (≤ 65 535) ids are in flight. A saved record
 * matches `inflight` and `incomingQos2` before any packet that depends on it is written.
 *
 * Records (`MqttSessionStore`): key 0, each incoming QoS 2 id as a u16 BE; keys 1, 2, … in
 * first-send order (the resend order [MQTT-4.6.0-1]; packet ids wrap, so they can't say it), a
 * publish in flight: its PUBLISH as first written, packet id in place, DUP set once released.
 */
import { Deque } from '../../device/deque.js'
import type { MqttSessionStore } from '../../ports.js'
import { decodeClientBody } from '../decode-body.js'
import { FrameDecoder, decodeWhole } from '../decoder.js'
import {
  assignPacketId,
  createOutgoingOp,
  duplicateOf,
  packetIdOf,
  type OutgoingOp,
} from './outgoing-op.js'

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
  /**
   * Publishes restored from the store that no publish of this run has adopted yet, in flight or
   * already completed (see `adopt` in `outgoing.ts`).
   */
  orphans: OutgoingOp[] = []
  #nextId = 1
  readonly #saved: MqttSessionStore | undefined
  #seq = 0

  constructor(maxInflight: number, saved?: MqttSessionStore) {
    this.maxInflight = Math.max(1, Math.min(MAX_PACKET_ID, Math.floor(maxInflight)))
    this.#saved = saved
    if (saved !== undefined) this.#restore(saved)
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

  /** Saves a publish in flight (before its PUBLISH, or PUBREL, is written). */
  save(op: OutgoingOp): void {
    if (this.#saved === undefined || op.kind !== 'publish') return
    // DUP marks a released one: the PUBLISH as written first never has it
    this.#saved.put((op.seq ??= ++this.#seq), op.released ? duplicateOf(op) : op.bytes)
  }

  /** Forgets a saved publish (acknowledged, or the server lost it). */
  unsave(op: OutgoingOp): void {
    if (op.seq !== undefined) this.#saved?.delete(op.seq)
  }

  /** Saves `incomingQos2` (before the PUBREC, or the PUBCOMP, that depends on it). */
  saveIncoming(): void {
    const bytes: number[] = []
    for (const id of this.incomingQos2) bytes.push(id >> 8, id)
    this.#saved?.put(0, new Uint8Array(bytes))
  }

  #advance(): void {
    this.#nextId = this.#nextId === MAX_PACKET_ID ? 1 : this.#nextId + 1
  }

  /** The last run's publishes in flight, oldest first, as orphans with op ids -1, -2, ... */
  #restore(saved: MqttSessionStore): void {
    const ops: OutgoingOp[] = []
    for (const [key, r] of saved.load()) {
      if (key === 0) {
        for (let i = 1; i < r.length; i += 2) {
          this.incomingQos2.add(((r[i - 1] as number) << 8) | (r[i] as number))
        }
        continue
      }
      try {
        const p = decodeWhole(new FrameDecoder(decodeClientBody), r)
        // anything else is no record of ours, like what doesn't decode
        if (p.type !== 'publish' || p.qos === 0) throw p
        const op = createOutgoingOp({ ...p, opId: 0 })
        assignPacketId(op, p.packetId)
        // DUP marks a released one (see `save`)
        op.released = p.dup
        op.seq = key
        ops.push(op)
      } catch {
        // a foreign or torn write: nothing to resume
        saved.delete(key)
      }
    }
    ops.sort((a, b) => (a.seq as number) - (b.seq as number))
    for (const op of ops) {
      op.opId = -1 - this.orphans.length
      this.#seq = op.seq as number
      this.inflight.set(packetIdOf(op), op)
      this.orphans.push(op)
    }
  }
}
