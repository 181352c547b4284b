/**
 * @module device drain: a planned reconnect (renewed credentials) first lets the publishes in
 * flight be acknowledged, holding new ones back, and only then disconnects. Re-publishing them
 * on the next connection would use new packet ids, which the broker can't tell from new
 * messages: a QoS 2 message would be ingested twice [MQTT-4.4.0-1]. The wait is bounded.
 */
import type { Context } from './context.js'
import { cancelTimer, setTimer } from './context.js'

/** Longest wait for in-flight acks before a planned reconnect disconnects anyway. */
export const DRAIN_TIMEOUT_MS = 10_000

function disconnectNow(ctx: Context): void {
  drainEnded(ctx)
  ctx.out.push({ type: 'mqtt.disconnect' })
}

/** Reconnects as soon as nothing is in flight (the close reconnects without backoff). */
export function reconnectAfterDrain(ctx: Context, nowMs: number): void {
  if (ctx.reconnectNow) return
  ctx.reconnectNow = true
  if (ctx.outbox.inflight === 0) {
    disconnectNow(ctx)
    return
  }
  ctx.outbox.hold()
  ctx.drainTimerId = setTimer(ctx, 'drain', nowMs + DRAIN_TIMEOUT_MS)
}

/** After an ack: the last one in flight ends the drain. */
export function drainProgress(ctx: Context): void {
  if (ctx.drainTimerId !== undefined && ctx.outbox.inflight === 0) disconnectNow(ctx)
}

/** The drain timer fired: disconnect with whatever is still in flight (it will be replayed). */
export function drainTimeout(ctx: Context, timerId: string): void {
  if (timerId !== ctx.drainTimerId) return
  ctx.drainTimerId = undefined
  ctx.out.push({ type: 'mqtt.disconnect' })
}

/** The connection ended: no drain is pending any more. */
export function drainEnded(ctx: Context): void {
  const timerId = ctx.drainTimerId
  if (timerId !== undefined) cancelTimer(ctx, timerId)
  ctx.drainTimerId = undefined
}
