/**
 * @module pairing state backing-off: a step failed and waits for its retry timer; identity
 * errors are terminal instead, since no retry can fix a wrong secret (spec §4.1).
 */
import type { SdkError } from '../../../errors.js'
import type { Context } from '../context.js'
import { nextBackoffMs, nextId } from '../context.js'
import type { BusyState, PendingStep, Transition } from '../state.js'
import { withoutRequestId } from '../state.js'
import { enterFailed } from './failed.js'

export interface BackingOff {
  readonly tag: 'backing-off'
  readonly timerId: string
  /** What to do again when the timer fires. */
  readonly step: PendingStep
}

/** 401/403: missing or wrong secret; 404: unknown device (403 on Astarte 1.2, spec §4.3.3). */
const TERMINAL: ReadonlySet<string> = new Set([
  'remote.pairing_unauthorized',
  'remote.pairing_forbidden',
  'remote.pairing_not_found',
  'remote.pairing_inhibited',
])

export function retryOrFail(
  ctx: Context,
  step: PendingStep,
  error: SdkError,
  nowMs: number,
): Transition {
  if (TERMINAL.has(error.code)) return enterFailed(error)
  const atMs = nowMs + nextBackoffMs(ctx)
  const timerId = nextId(ctx)
  return {
    state: { tag: 'backing-off', timerId, step },
    actions: [
      { type: 'pairing.retrying', step: step.tag, attempt: ctx.attempt, atMs, error },
      { type: 'timer.set', timerId, atMs },
    ],
  }
}

/** The request `state` waits for failed with `error`: retried as it was, or terminal. */
export function retry(ctx: Context, state: BusyState, error: SdkError, nowMs: number): Transition {
  return retryOrFail(ctx, withoutRequestId(state), error, nowMs)
}

/** A renewal requested while waiting: the retry renews instead of verifying. */
export function redirectToRenewal(state: BackingOff): BackingOff {
  const { step } = state
  return step.tag === 'fetching-info'
    ? { ...state, step: { ...step, forceRenew: true } }
    : step.tag === 'verifying'
      ? { ...state, step: { tag: 'creating-key', brokerUrl: step.brokerUrl } }
      : state
}
