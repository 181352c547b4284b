/**
 * @module mqtt session incoming: packets from the peer on an accepted connection. Messages are
 * delivered before their ack is written; QoS 2 is delivered once per packet id until its PUBREL
 * (§4.3.3, method B of figure 4.3: store the id, deliver on first receipt).
 */
import { assertNever } from '../../errors.js'
import { encodeAck } from '../encode.js'
import type { MisdirectedPacket, PublishPacket, ServerPacket } from '../packet.js'
import { protocolError } from './close.js'
import type { Connection } from './connection.js'
import { emit, write, type Context } from './context.js'
import { handleIncomingAck } from './outgoing.js'

/** Handles one packet; throws a `remote.*` `SdkError` when the peer broke the protocol. */
export function handleIncomingPacket(
  ctx: Context,
  conn: Connection,
  p: ServerPacket | MisdirectedPacket,
  nowMs: number,
): void {
  switch (p.type) {
    case 'publish':
      return handleIncomingPublish(ctx, conn, p, nowMs)
    case 'pubrel':
      // [MQTT-4.3.3-2] release the id (known or not) and always answer PUBCOMP.
      if (ctx.store.incomingQos2.delete(p.packetId)) ctx.store.saveIncoming()
      return write(ctx, conn, encodeAck('pubcomp', p.packetId), nowMs)
    case 'puback':
    case 'pubrec':
    case 'pubcomp':
    case 'suback':
    case 'unsuback':
      return handleIncomingAck(ctx, conn, p, nowMs)
    case 'pingresp':
      return
    case 'connack':
    case 'connect':
    case 'subscribe':
    case 'unsubscribe':
    case 'pingreq':
    case 'disconnect':
      // A server sends none of these to a connected client (§3).
      throw protocolError(`unexpected ${p.type} from the server`, { type: p.type })
    default:
      return assertNever(p)
  }
}

function handleIncomingPublish(
  ctx: Context,
  conn: Connection,
  p: PublishPacket,
  nowMs: number,
): void {
  const { topic, payload, qos, retain, packetId } = p
  const { store } = ctx
  // [MQTT-4.3.2-2] QoS 1 delivers a DUP redelivery again (at least once); QoS 2 once per id
  const fresh = qos < 2 || !store.incomingQos2.has(packetId)
  if (qos === 2 && fresh) {
    store.incomingQos2.add(packetId)
    store.saveIncoming()
  }
  if (fresh) emit(ctx, { type: 'message', topic, payload, qos, retain })
  if (qos > 0) write(ctx, conn, encodeAck(qos === 1 ? 'puback' : 'pubrec', packetId), nowMs)
}
