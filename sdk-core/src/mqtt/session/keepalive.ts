/**
 * @module mqtt session keepalive: the timer side of a connection. The session hands out one
 * deadline at a time and only moves it earlier; a timer that fires early just re-arms.
 * [MQTT-3.1.2-23] a PINGREQ goes out after `keepalive` of silence either way (so a healthy peer
 * always has something to answer); [MQTT-3.1.2-24] after 1.5× `keepalive` without a byte from
 * the peer the connection is dead.
 */
import { SdkError } from '../../errors.js'
import { encodeEmpty } from '../encode.js'
import { closeWith } from './close.js'
import type { Connection } from './connection.js'
import { write, type Context } from './context.js'
import type { Online, SessionState } from './state.js'

const PINGREQ = encodeEmpty('pingreq')

/** The last `timer.set` deadline came (a `Step` of `transitions.ts`). */
export function onTimer(ctx: Context, state: Online, _input: unknown, nowMs: number): SessionState {
  const { conn } = state
  conn.timerAtMs = undefined
  const k = conn.keepaliveMs
  const silentMs = nowMs - conn.lastReadMs
  // [MQTT-3.1.2-24] 1.5× keepalive without a byte: the connection is dead.
  if (k > 0 && silentMs >= k * 1.5) {
    return closeWith(
      ctx,
      state,
      new SdkError('remote.mqtt_keepalive_timeout', "couldn't hear from the mqtt server in time", {
        ctx: { keepaliveSec: k / 1000, silentMs },
      }),
    )
  }
  if (state.tag === 'connected' && needsPing(conn, nowMs)) {
    write(ctx, conn, PINGREQ, nowMs)
    conn.pingSent = true
  }
  return state
}

/** Emits `timer.set` when the connection's next deadline is earlier than the one handed out. */
export function armTimer(ctx: Context, state: SessionState): void {
  if (state.tag === 'idle') return
  const { conn } = state
  const at = deadline(conn, state.tag === 'connected')
  if (at === undefined || (conn.timerAtMs !== undefined && conn.timerAtMs <= at)) return
  conn.timerAtMs = at
  ctx.out.push({ type: 'timer.set', atMs: at })
}

/** Time for a PINGREQ: none outstanding and either direction silent for keepalive. */
function needsPing(conn: Connection, nowMs: number): boolean {
  const k = conn.keepaliveMs
  return k > 0 && !conn.pingSent && nowMs - Math.min(conn.lastReadMs, conn.lastWriteMs) >= k
}

/** Next instant the connection is dead or needs a ping, or `undefined` with keepalive off. */
function deadline(conn: Connection, pinging: boolean): number | undefined {
  const k = conn.keepaliveMs
  if (k === 0) return undefined
  const dead = conn.lastReadMs + k * 1.5
  if (!pinging || conn.pingSent) return dead
  return Math.min(dead, Math.min(conn.lastReadMs, conn.lastWriteMs) + k)
}
