/**
 * @module mqtt outgoing-op: a caller's publish, subscribe or unsubscribe, encoded once when it is
 * accepted. Its packet id is written into the bytes when a slot frees up, before they are first
 * handed out; later writes (DUP resend) use copies, so bytes given to the runtime never change.
 */
import { encodePacket } from '../encode.js'
import { utf8Length } from '../../bson/utf8.js'
import type { Packet } from '../packet.js'
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
  /** Number of filters of a subscribe, to check its SUBACK [MQTT-3.9.3-1]. */
  readonly filters: number
  /** A saved publish's place in first-send order (see `session-store.ts`). */
  seq?: number
}

// Packet id placeholder until a real one is assigned (ids are 1..65 535 [MQTT-2.3.1-1]).
const PLACEHOLDER_ID = 1

type OpInput = Extract<SessionInput, { type: 'publish' | 'subscribe' | 'unsubscribe' }>

/** Encodes an op; throws `local.mqtt_invalid_packet` for what MQTT 3.1.1 can't carry. */
export function createOutgoingOp(input: OpInput): OutgoingOp {
  const bytes = encodePacket(toPacket(input))
  const { opId } = input
  // The variable header starts after the remaining-length bytes (§2.2.3).
  let body = 1
  while (((bytes[body++] as number) & 0x80) !== 0);
  switch (input.type) {
    case 'publish': {
      const idOffset = input.qos === 0 ? -1 : body + 2 + utf8Length(input.topic)
      const { qos } = input
      return { kind: input.type, opId, qos, bytes, idOffset, released: false, filters: 0 }
    }
    case 'subscribe': {
      const filters = input.subscriptions.length
      return { kind: input.type, opId, qos: 1, bytes, idOffset: body, released: false, filters }
    }
    case 'unsubscribe':
      return { kind: input.type, opId, qos: 1, bytes, idOffset: body, released: false, filters: 0 }
  }
}

function toPacket(input: OpInput): Packet {
  switch (input.type) {
    case 'publish': {
      const { topic, payload, qos } = input
      const packetId = qos === 0 ? 0 : PLACEHOLDER_ID
      const retain = input.retain ?? false
      return { type: 'publish', topic, payload, qos, dup: false, retain, packetId }
    }
    case 'subscribe':
      return { type: 'subscribe', packetId: PLACEHOLDER_ID, subscriptions: input.subscriptions }
    case 'unsubscribe':
      return { type: 'unsubscribe', packetId: PLACEHOLDER_ID, topics: input.topics }
  }
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
