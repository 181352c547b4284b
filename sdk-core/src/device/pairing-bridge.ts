/**
 * @module device pairing bridge: runs the pairing sub-machine inside the device machine. Its
 * I/O actions are forwarded verbatim; its outcomes (`pairing.ready`, `.retrying`, `.failed`)
 * move the device: connect once ready, reconnect at once after a renewal (the old certificate is
 * revoked, spec §4.3.4), stop in `error` when pairing can't succeed.
 */
import { assertNever } from '../errors.js'
import type { PairingAction, PairingInput } from '../pairing/machine/types.js'
import { connect } from './connection.js'
import type { Context } from './context.js'
import { emit, warn } from './context.js'
import { reconnectAfterDrain } from './drain.js'
import type { DeviceState } from './state.js'

type Ready = Extract<PairingAction, { type: 'pairing.ready' }>

function onReady(ctx: Context, state: DeviceState, ready: Ready, nowMs: number): DeviceState {
  ctx.broker = ready.brokerUrl
  switch (state.tag) {
    case 'pairing':
      return connect(ctx, nowMs)
    case 'connecting':
    case 'syncing':
    case 'online':
      // the close that follows reconnects without backoff; queues stay as they are
      if (ready.renewed) reconnectAfterDrain(ctx, nowMs)
      return state
    case 'idle':
    case 'backoff':
    case 'stopping':
    case 'error':
      return state
    default:
      return assertNever(state)
  }
}

/** Feeds `input` to the pairing sub-machine and applies what it returns. */
export function runPairing(
  ctx: Context,
  input: PairingInput,
  nowMs: number,
  state: DeviceState,
): DeviceState {
  if (ctx.pairing === undefined) return state
  let next = state
  for (const action of ctx.pairing.handle(input, nowMs)) {
    switch (action.type) {
      case 'http':
      case 'crypto.createKeyAndCsr':
      case 'credentials.save':
      case 'timer.set':
      case 'timer.cancel':
        ctx.out.push(action)
        break
      case 'pairing.ready':
        next = onReady(ctx, next, action, nowMs)
        break
      case 'pairing.retrying':
        ctx.lastError = action.error
        warn(ctx, "couldn't complete pairing, retrying", {
          step: action.step,
          attempt: action.attempt,
          atMs: action.atMs,
          code: action.error.code,
        })
        break
      case 'pairing.failed':
        ctx.lastError = action.error
        if (next.tag === 'pairing') {
          emit(ctx, { type: 'failed', error: action.error })
          next = { tag: 'error', error: action.error }
        } else {
          // the current connection lives on until its certificate is refused
          warn(ctx, "couldn't renew the credentials", { code: action.error.code })
        }
        break
      default:
        assertNever(action)
    }
  }
  return next
}
