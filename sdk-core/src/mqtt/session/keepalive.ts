/**
 * @module mqtt session keepalive: the timer side of a connection. The session hands out one
 * deadline at a time and only moves it earlier; a timer that fires early just re-arms.
 */
import { SdkError } from '../../errors.js'
import { encodeEmpty } from '../encode.js'
import { closeWith } from './close.js'
import { write, type Context } from './context.js'
import type { Online, SessionState } from './state.js'

const PINGREQ = encodeEmpty('pingreq')

export function onTimer(ctx: Context, state: Online, nowMs: number): SessionState {
  const { conn } = state
  conn.timerAtMs = undefined
  // [MQTT-3.1.2-24] 1.5× keepalive without a byte: the connection is dead.
  if (conn.isDead(nowMs)) {
    const ctxInfo = { keepaliveSec: conn.keepaliveMs / 1000, silentMs: nowMs - conn.lastReadMs }
    return closeWith(
      ctx,
      state,
      new SdkError('remote.mqtt_keepalive_timeout', "couldn't hear from the mqtt server in time", {
        ctx: ctxInfo,
      }),
    )
  }
  if (state.tag === 'connected' && conn.needsPing(nowMs)) {
    write(ctx, conn, PINGREQ, nowMs)
    conn.pingSent = true
  }
  return state
}

/** Emits `timer.set` when the connection's next deadline is earlier than the one handed out. */
export function armTimer(ctx: Context, state: SessionState): void {
  if (state.tag === 'idle') return
  const { conn } = state
  const at = conn.deadline(state.tag === 'connected')
  if (at === undefined || (conn.timerAtMs !== undefined && conn.timerAtMs <= at)) return
  conn.timerAtMs = at
  ctx.out.push({ type: 'timer.set', atMs: at })
}
