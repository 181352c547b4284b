/**
 * @module mqtt session outgoing: ops from the caller to the peer and their acknowledgements.
 * QoS 1: PUBLISH → PUBACK; QoS 2: PUBLISH → PUBREC → PUBREL → PUBCOMP (§4.3.3).
 */
import { SdkError } from '../../errors.js'
import { sameBytes } from '../../same-bytes.js'
import { encodeAck } from '../encode.js'
import type { ServerPacket } from '../packet.js'
import type { Connection } from './connection.js'
import { emit, write, type Context } from './context.js'
import { assignPacketId, duplicateOf, packetIdOf, type OutgoingOp } from './outgoing-op.js'
import type { SessionStore } from './session-store.js'
import type { OpId } from './types.js'

/** Writes queued ops while the in-flight window has room; QoS 0 publishes need no slot. */
export function pump(ctx: Context, conn: Connection, nowMs: number): void {
  const { store } = ctx
  for (let op = store.pending.peek(); op !== undefined; op = store.pending.peek()) {
    if (op.idOffset < 0) {
      store.pending.shift()
      write(ctx, conn, op.bytes, nowMs)
      emit(ctx, { type: 'published', opId: op.opId })
      continue
    }
    if (!store.hasSlot) return
    store.pending.shift()
    assignPacketId(op, store.allocate(op))
    store.save(op)
    write(ctx, conn, op.bytes, nowMs)
  }
}

/**
 * The server lost the session: nothing the last connection carried over is sent again. Returns
 * the ops dropped and the QoS 2 publishes that completed anyway (PUBREC came: the server owns
 * them [MQTT-4.3.3]), each oldest first. Every packet id is free again.
 */
export function forgetCarried(store: SessionStore): { dropped: OpId[]; completed: OpId[] } {
  const dropped: OpId[] = []
  const completed: OpId[] = []
  for (const op of store.inflight.values()) {
    ;(op.released ? completed : dropped).push(op.opId)
    store.unsave(op)
  }
  store.inflight.clear()
  // the caller publishes the dropped ones again, as new messages
  store.orphans = store.orphans.filter((op) => op.released)
  const waiting = store.pending.drain()
  waiting.forEach((op, i) => {
    if (i < store.carriedPending) dropped.push(op.opId)
    else store.pending.push(op)
  })
  store.carriedPending = 0
  return { dropped, completed }
}

/**
 * [MQTT-4.4.0-1] on a resumed session, unacknowledged PUBLISHes go again with their ids and DUP set, and
 * PUBRELs of released QoS 2 messages go again; subscribes and unsubscribes are simply repeated.
 */
export function resendInflight(ctx: Context, conn: Connection, nowMs: number): void {
  for (const [id, op] of ctx.store.inflight) {
    if (op.released) write(ctx, conn, encodeAck('pubrel', id), nowMs)
    else write(ctx, conn, op.kind === 'publish' ? duplicateOf(op) : op.bytes, nowMs)
  }
}

type Ack = ServerPacket & { readonly type: keyof typeof COMPLETES }

/** What each acknowledgement completes (§4.3.3): an op in flight under its packet id that fits. */
const COMPLETES = {
  puback: (o: OutgoingOp) => o.kind === 'publish' && o.qos === 1,
  pubrec: (o: OutgoingOp) => o.kind === 'publish' && o.qos === 2,
  // PUBCOMP: a QoS 2 publish whose PUBREL went
  pubcomp: (o: OutgoingOp) => o.released,
  suback: (o: OutgoingOp) => o.kind === 'subscribe',
  unsuback: (o: OutgoingOp) => o.kind === 'unsubscribe',
}

/**
 * An acknowledgement of an op in flight, or `remote.mqtt_unsolicited_ack`. PUBREC releases a
 * QoS 2 publish (a repeated PUBREC, after a DUP resend, is answered again); the others end the
 * exchange.
 */
export function handleIncomingAck(ctx: Context, conn: Connection, p: Ack, nowMs: number): void {
  const { type, packetId } = p
  const { store } = ctx
  const op = store.inflight.get(packetId)
  if (op === undefined || !COMPLETES[type](op)) {
    const message = `couldn't match a ${type} to a packet in flight`
    throw new SdkError('remote.mqtt_unsolicited_ack', message, { ctx: { packetId, ack: type } })
  }
  if (type === 'pubrec') {
    if (!op.released) {
      op.released = true
      store.save(op)
    }
    return write(ctx, conn, encodeAck('pubrel', packetId), nowMs)
  }
  // [MQTT-3.9.3-1] one return code per filter.
  if (type === 'suback' && p.granted.length !== op.filters) {
    throw new SdkError('remote.mqtt_protocol', "couldn't match a suback to its subscribe", {
      ctx: { packetId, filters: op.filters, returnCodes: p.granted.length },
    })
  }
  store.inflight.delete(packetId)
  store.unsave(op)
  const { opId } = op
  emit(
    ctx,
    type === 'suback'
      ? { type: 'subscribed', opId, granted: p.granted }
      : type === 'unsuback'
        ? { type: 'unsubscribed', opId }
        : { type: 'published', opId },
  )
}

/**
 * After a reboot the caller publishes again what it still holds (its `stored` queue); a publish
 * identical (topic, payload, QoS, retain) to a restored one is that message: it adopts the
 * restored publish, in flight or completed, instead of going out a second time. Returns whether
 * `op` was adopted. A caller's new message identical to a restored one it never publishes again
 * (a `volatile` value lost with the reboot) is taken for it: its content reached the server.
 */
export function adopt(ctx: Context, op: OutgoingOp): boolean {
  const { orphans, inflight } = ctx.store
  // compared under the orphan's id: `op` has none yet (pump gives it one if it stays new)
  const i = orphans.findIndex(
    (o) => o.qos === op.qos && (assignPacketId(op, packetIdOf(o)), sameBytes(o.bytes, op.bytes)),
  )
  const orphan = orphans[i]
  if (orphan === undefined) return false
  orphans.splice(i, 1)
  orphan.opId = op.opId
  if (inflight.get(packetIdOf(orphan)) !== orphan) emit(ctx, { type: 'published', opId: op.opId })
  return true
}
