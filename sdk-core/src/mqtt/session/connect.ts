/**
 * @module mqtt session connect: CONNECT out, CONNACK in. On acceptance the session resumes:
 * in-flight work is sent again, then the queue flows.
 */
import { SdkError } from '../../errors.js'
import { encodePacket } from '../encode.js'
import type { Packet } from '../packet.js'
import { closeWith, protocolError } from './close.js'
import { Connection } from './connection.js'
import { emit, write, type Context } from './context.js'
import { pump, resendInflight } from './outgoing.js'
import type { SessionState } from './state.js'
import { connected } from './states/connected.js'
import { waitConnack, type WaitConnack } from './states/wait-connack.js'
import type { SessionConnectOptions } from './types.js'

// §3.2.2.3 connect return codes.
const REFUSALS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
}

/** Sends CONNECT; throws `local.mqtt_invalid_packet` for options MQTT 3.1.1 can't carry. */
export function startConnect(
  ctx: Context,
  options: SessionConnectOptions,
  nowMs: number,
): WaitConnack {
  const { clientId, clean, keepaliveSec, username, password, will } = options
  const bytes = encodePacket({
    type: 'connect',
    clientId,
    clean,
    keepalive: keepaliveSec,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(will === undefined ? {} : { will }),
  })
  const conn = new Connection(keepaliveSec, ctx.maxFrameBytes, nowMs)
  write(ctx, conn, bytes, nowMs)
  return waitConnack(conn)
}

export function handleIncomingConnack(
  ctx: Context,
  state: WaitConnack,
  p: Packet,
  nowMs: number,
): SessionState {
  // [MQTT-3.2.0-1] the server's first packet is CONNACK.
  if (p.type !== 'connack') throw protocolError(`${p.type} before connack`, { type: p.type })
  if (p.returnCode !== 0) {
    const reason = REFUSALS[p.returnCode] ?? 'reserved return code'
    return closeWith(
      ctx,
      new SdkError('remote.mqtt_connection_refused', `couldn't connect: ${reason}`, {
        ctx: { returnCode: p.returnCode },
      }),
    )
  }
  const { store } = ctx
  // Without a stored session the server has forgotten the QoS 2 ids it sent us (§4.1).
  if (!p.sessionPresent) store.incomingQos2.clear()
  emit(ctx, { type: 'connected', sessionPresent: p.sessionPresent })
  resendInflight(ctx, state.conn, nowMs)
  pump(ctx, state.conn, nowMs)
  return connected(state.conn)
}
