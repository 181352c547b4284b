/**
 * @module mqtt session connect: CONNECT out, CONNACK in. What the last accepted connection
 * carried over (ops in flight, and those it had queued) follows the CONNACK: a present session
 * resumes it, oldest first, before anything newer ([MQTT-4.4.0-1]); a lost one (sessionPresent
 * 0) drops it, except the QoS 2 publishes the server acknowledged with PUBREC, which it owns
 * ([MQTT-4.3.3]) and which complete. Ops queued while no connection was accepted are new to any
 * session and flow either way.
 */
import { SdkError } from '../../errors.js'
import { encodeConnect } from '../encode.js'
import type { MisdirectedPacket, ServerPacket } from '../packet.js'
import { closeWith, protocolError } from './close.js'
import { Connection } from './connection.js'
import { emit, write, type Context } from './context.js'
import { forgetCarried, pump, resendInflight } from './outgoing.js'
import type { SessionState } from './state.js'
import type { WaitConnack } from './states/wait-connack.js'
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
  const { keepaliveSec } = options
  // the options are CONNECT's fields but for keepalive's name (encodeConnect reads no other)
  const bytes = encodeConnect({ ...options, type: 'connect', keepalive: keepaliveSec })
  const conn = new Connection(keepaliveSec, ctx.maxFrameBytes, nowMs)
  write(ctx, conn, bytes, nowMs)
  return { tag: 'wait-connack', conn }
}

export function handleIncomingConnack(
  ctx: Context,
  state: WaitConnack,
  p: ServerPacket | MisdirectedPacket,
  nowMs: number,
): SessionState {
  // [MQTT-3.2.0-1] the server's first packet is CONNACK.
  if (p.type !== 'connack') throw protocolError(`${p.type} before connack`, { type: p.type })
  if (p.returnCode !== 0) {
    // ctx.returnCode is what a transport reads: 4 and 5 judge the identity (spec §3.1: the
    // certificate's CN), so they call for new credentials. The reason is in the sentence alone,
    // so a build without sentences drops the table.
    const message = `couldn't connect: ${REFUSALS[p.returnCode] ?? 'reserved return code'}`
    return closeWith(
      ctx,
      state,
      new SdkError('remote.mqtt_connection_refused', message, {
        ctx: { returnCode: p.returnCode },
      }),
    )
  }
  const { store } = ctx
  if (p.sessionPresent) {
    store.carriedPending = 0
    emit(ctx, { type: 'connected', sessionPresent: true, dropped: [] })
    resendInflight(ctx, state.conn, nowMs)
  } else {
    // Without a stored session the server has forgotten the QoS 2 ids it sent us (§4.1).
    if (store.incomingQos2.size > 0) {
      store.incomingQos2.clear()
      store.saveIncoming()
    }
    const { dropped, completed } = forgetCarried(store)
    emit(ctx, { type: 'connected', sessionPresent: false, dropped })
    for (const opId of completed) emit(ctx, { type: 'published', opId })
  }
  pump(ctx, state.conn, nowMs)
  return { tag: 'connected', conn: state.conn }
}
