/**
 * @module device connection: connecting, losing the connection and backing off. A lost
 * connection keeps every queued message (spec §3.9) and reconnects after a full-jitter delay
 * (spec §3.4 "wait a random amount of time"), or at once after a credentials renewal.
 */
import { SdkError } from '../errors.js'
import { backoffDelayMs } from '../pairing/machine/schedule.js'
import type { Context } from './context.js'
import { emit, sendFailed, setTimer } from './context.js'
import { drainEnded } from './drain.js'
import type { DeviceState } from './state.js'
import type { Backoff } from './states/backoff.js'
import { connecting } from './states/connecting.js'
import { pairing } from './states/pairing.js'
import { runPairing } from './pairing-bridge.js'

/** Requests the MQTT connection to the known broker (spec §3.1: client id `<realm>/<id>`). */
export function connect(ctx: Context, nowMs: number): DeviceState {
  const broker = ctx.broker
  // without a broker address pairing is configured (the constructor checks): ask it first
  if (broker === undefined) return runPairing(ctx, { type: 'pairing.start' }, nowMs, pairing)
  ctx.out.push({
    type: 'mqtt.connect',
    options: {
      host: broker.host,
      port: broker.port,
      clientId: ctx.clientId,
      keepaliveSec: ctx.keepaliveSec,
      clean: false,
    },
  })
  return connecting
}

/** Waits a full-jitter delay, then reconnects (see the `timer` step of `backoff`). */
export function enterBackoff(ctx: Context, nowMs: number): Backoff {
  const policy = { initialDelayMs: ctx.backoff.minMs, maxDelayMs: ctx.backoff.maxMs }
  const delay = backoffDelayMs(ctx.attempt, policy, ctx.random)
  ctx.attempt += 1
  const atMs = nowMs + delay
  return { tag: 'backoff', timerId: setTimer(ctx, 'backoff', atMs), atMs }
}

/**
 * The connection ended, lost or stopped: no drain waits any more, the unacknowledged `discard`
 * sends fail with `lost`, and the end of a connection that was up (CONNACK received) is reported.
 */
export function connectionEnded(
  ctx: Context,
  error: SdkError | undefined,
  wasUp: boolean,
  lost: SdkError,
): void {
  drainEnded(ctx)
  for (const opId of ctx.outbox.disconnected()) ctx.out.push(sendFailed(opId, lost))
  if (wasUp) {
    emit(ctx, error === undefined ? { type: 'disconnected' } : { type: 'disconnected', error })
  }
}

/**
 * The connection ended (or never came up): fail the unacknowledged `discard` sends, then
 * reconnect at once after a renewal, or after a backoff.
 */
export function connectionLost(
  ctx: Context,
  nowMs: number,
  error: SdkError | undefined,
  wasUp: boolean,
): DeviceState {
  if (error !== undefined) ctx.lastError = error
  const lost = new SdkError('local.connection_lost', "couldn't deliver: the connection was lost", {
    cause: error,
  })
  connectionEnded(ctx, error, wasUp, lost)
  if (ctx.reconnectNow) {
    ctx.reconnectNow = false
    return connect(ctx, nowMs)
  }
  return enterBackoff(ctx, nowMs)
}
