/** @module mqtt session close: leaving a connection; the session state stays for the next one. */
import { SdkError } from '../../errors.js'
import { emit, type Context } from './context.js'
import type { SessionState } from './state.js'
import { idle, type Idle } from './states/idle.js'

/**
 * Ends the connection: the runtime closes the transport on the `closed` event. Leaving
 * `connected`, the ops waiting in the session were carried by the connection (see `connect.ts`).
 */
export function closeWith(ctx: Context, from: SessionState, error?: SdkError): Idle {
  if (from.tag === 'connected') ctx.store.carriedPending = ctx.store.pending.length
  emit(ctx, error === undefined ? { type: 'closed' } : { type: 'closed', error })
  return idle
}

/** The peer broke MQTT 3.1.1 at the packet level; [MQTT-4.8.0-1] the connection is closed. */
export function protocolError(
  reason: string,
  ctx: Readonly<Record<string, unknown>> = {},
): SdkError {
  return new SdkError('remote.mqtt_protocol', `couldn't follow the mqtt peer: ${reason}`, { ctx })
}
