/**
 * @module mqtt session transitions: the whole session as one table, state × input → step.
 * A pair that is absent is ignored (bytes or a timer after the connection ended).
 */
import { SdkError } from '../../errors.js'
import { NEED_MORE } from '../decoder.js'
import { encodeEmpty } from '../encode.js'
import { closeWith } from './close.js'
import { handleIncomingConnack, startConnect } from './connect.js'
import { write, type Context } from './context.js'
import { handleIncomingPacket } from './incoming.js'
import { onTimer } from './keepalive.js'
import { createOutgoingOp } from './outgoing-op.js'
import { adopt, pump } from './outgoing.js'
import type { Online, SessionState } from './state.js'
import type { SessionInput } from './types.js'

export type Step<S extends SessionState, I extends SessionInput> = (
  ctx: Context,
  state: S,
  input: I,
  nowMs: number,
) => SessionState

type Table = {
  readonly [T in SessionState['tag']]: {
    readonly [K in SessionInput['type']]?: Step<
      Extract<SessionState, { tag: T }>,
      Extract<SessionInput, { type: K }>
    >
  }
}

type OpInput = Extract<SessionInput, { type: 'publish' | 'subscribe' | 'unsubscribe' }>

const DISCONNECT = encodeEmpty('disconnect')

const enqueue: Step<SessionState, OpInput> = (ctx, state, input, nowMs) => {
  const op = createOutgoingOp(input)
  if (adopt(ctx, op)) return state
  ctx.store.pending.push(op)
  if (state.tag === 'connected') pump(ctx, state.conn, nowMs)
  return state
}

const busy = (): never => {
  throw new SdkError('local.mqtt_busy', "couldn't connect: the session already has a connection")
}

/** Decodes what arrived and handles each packet; a peer's fault closes the connection. */
type BytesInput = Extract<SessionInput, { type: 'bytes' }>
const bytes: Step<Online, BytesInput> = (ctx, state, input, nowMs) => {
  const { conn } = state
  conn.lastReadMs = nowMs
  conn.pingSent = false
  conn.decoder.push(input.data)
  let s: SessionState = state
  try {
    while (s.tag !== 'idle') {
      const p = conn.decoder.next()
      if (p === NEED_MORE) break
      if (s.tag === 'wait-connack') s = handleIncomingConnack(ctx, s, p, nowMs)
      else handleIncomingPacket(ctx, conn, p, nowMs)
    }
  } catch (e) {
    if (e instanceof SdkError && e.code.startsWith('remote.')) return closeWith(ctx, s, e)
    throw e
  }
  // Acks of this chunk freed slots: refill the window once.
  if (s.tag === 'connected') pump(ctx, conn, nowMs)
  return s
}

const lost: Step<Online, Extract<SessionInput, { type: 'closed' }>> = (ctx, state, input) =>
  closeWith(
    ctx,
    state,
    new SdkError('remote.mqtt_connection_lost', "couldn't keep the mqtt connection open", {
      cause: input.error,
    }),
  )

const ops = { publish: enqueue, subscribe: enqueue, unsubscribe: enqueue }
const online = { ...ops, connect: busy, bytes, timer: onTimer, closed: lost }

export const transitions: Table = {
  idle: {
    ...ops,
    connect: (ctx, _state, input, nowMs) => startConnect(ctx, input.options, nowMs),
  },
  'wait-connack': {
    ...online,
    disconnect: (ctx, state) => closeWith(ctx, state),
  },
  connected: {
    ...online,
    disconnect: (ctx, state, _input, nowMs) => {
      // [MQTT-3.14.4-1] DISCONNECT is the last packet; the runtime then closes the transport.
      write(ctx, state.conn, DISCONNECT, nowMs)
      return closeWith(ctx, state)
    },
  },
}
