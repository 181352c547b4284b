/**
 * @module mqtt outgoing-op: a caller's publish, subscribe or unsubscribe, encoded once when it is
 * accepted. Its packet id is written into the bytes when a slot frees up, before they are first
 * handed out; later writes (DUP resend) use copies, so bytes given to the runtime never change.
 */
import { encodeFilters, encodePublish } from '../encode.js'
import type { QoS } from '../packet.js'
import type { OpId, SessionInput } from './types.js'

export interface OutgoingOp {
  readonly kind: 'publish' | 'subscribe' | 'unsubscribe'
  /** Negative for a publish restored from a session store until a caller's publish adopts it. */
  opId: OpId
  readonly qos: 0 | 1 | 2
  readonly bytes: Uint8Array
  /** Where the two packet id bytes sit in `bytes` (-1 for QoS 0 publishes). */
  readonly idOffset: number
  /** QoS 2 only: PUBREC came, PUBREL went, PUBCOMP awaited. */
  released: boolean
  /** Number of filters of a subscribe (or unsubscribe), to check its SUBACK [MQTT-3.9.3-1]. */
  readonly filters: number
  /** A saved publish's place in first-send order (see `session-store.ts`). */
  seq?: number
}

// Packet id placeholder until a real one is assigned (ids are 1..65 535 [MQTT-2.3.1-1]).
const PLACEHOLDER_ID = 1

type OpInput = Extract<SessionInput, { type: 'publish' | 'subscribe' | 'unsubscribe' }>

/** Encodes an op; throws `local.mqtt_invalid_packet` for what MQTT 3.1.1 can't carry. */
export function createOutgoingOp(input: OpInput): OutgoingOp {
  const { type: kind, opId } = input
  const packetId = PLACEHOLDER_ID
  let bytes: Uint8Array
  let idOffset = 1
  let qos: QoS = 1
  let filters = 0
  if (kind === 'publish') {
    const { topic, payload } = input
    qos = input.qos
    const retain = input.retain ?? false
    const id = qos === 0 ? 0 : packetId
    bytes = encodePublish({ type: kind, topic, payload, qos, dup: false, retain, packetId: id })
    // the packet id sits right before the payload
    idOffset = qos === 0 ? -1 : bytes.length - payload.length - 2
  } else {
    const list = kind === 'subscribe' ? input.subscriptions : input.topics
    bytes = encodeFilters(kind, packetId, list)
    filters = list.length
    // the packet id opens the variable header, after the remaining-length bytes (§2.2.3)
    while (((bytes[idOffset++] as number) & 0x80) !== 0);
  }
  return { kind, opId, qos, bytes, idOffset, released: false, filters }
}

/** Writes the packet id into the op's bytes (before they are first written out). */
export function assignPacketId(op: OutgoingOp, id: number): void {
  op.bytes[op.idOffset] = id >> 8
  op.bytes[op.idOffset + 1] = id & 0xff
}

/** The packet id written into the op's bytes. */
export const packetIdOf = (op: OutgoingOp): number =>
  ((op.bytes[op.idOffset] as number) << 8) | (op.bytes[op.idOffset + 1] as number)

/** A copy of a publish with DUP set, for a resend [MQTT-3.3.1-1]. */
export function duplicateOf(op: OutgoingOp): Uint8Array {
  const copy = op.bytes.slice()
  copy[0] = (copy[0] as number) | 0x08
  return copy
}
