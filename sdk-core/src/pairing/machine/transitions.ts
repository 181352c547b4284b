/**
 * @module pairing transitions: the whole machine as one table, state × input → step. A pair
 * that is absent is ignored (stale answers, a renewal already under way, a start while busy).
 */
import { SdkError } from '../../errors.js'
import type { Context } from './context.js'
import type { PairingState, Transition } from './state.js'
import { withoutRequestId } from './state.js'
import type { BackingOff } from './states/backing-off.js'
import { redirectToRenewal, retryOrFail } from './states/backing-off.js'
import { enterCreatingKey, onCryptoFailed, onKeyAndCsr } from './states/creating-key.js'
import { enterStep } from './states/enter-step.js'
import { enterFetchingInfo, onDeviceInfo } from './states/fetching-info.js'
import { idle } from './states/idle.js'
import type { Ready } from './states/ready.js'
import { announceStored } from './states/ready.js'
import { onCredentials } from './states/requesting-credentials.js'
import { onSaveFailed, onSaved } from './states/saving.js'
import { onVerifyResponse } from './states/verifying.js'
import type { PairingAction, PairingInput } from './types.js'

export type Step<S extends PairingState, I extends PairingInput> = (
  state: S,
  input: I,
  ctx: Context,
  nowMs: number,
) => Transition

type Table = {
  readonly [T in PairingState['tag']]: {
    readonly [K in PairingInput['type']]?: Step<
      Extract<PairingState, { tag: T }>,
      Extract<PairingInput, { type: K }>
    >
  }
}

const start = (
  _state: PairingState,
  input: Extract<PairingInput, { type: 'pairing.start' }>,
  ctx: Context,
  nowMs: number,
): Transition => {
  ctx.attempt = 0
  const check = enterFetchingInfo(ctx, { tag: 'fetching-info', forceRenew: false })
  const early = announceStored(ctx, input.knownBroker, nowMs)
  return early === undefined ? check : { state: check.state, actions: [early, ...check.actions] }
}

const cancel = (state: Ready | BackingOff): PairingAction => ({
  type: 'timer.cancel',
  timerId: state.timerId,
})

const stop = (state: PairingState): Transition => ({
  state: idle,
  actions: state.tag === 'ready' || state.tag === 'backing-off' ? [cancel(state)] : [],
})

/** The HTTP request never got an answer (network, TLS, timeout): always worth a retry. */
const onHttpFailed: Step<
  Extract<PairingState, { tag: 'fetching-info' | 'verifying' | 'requesting-credentials' }>,
  Extract<PairingInput, { type: 'http.failed' }>
> = (state, input, ctx, nowMs) => {
  const error = new SdkError('remote.pairing_unreachable', "couldn't reach the pairing api", {
    cause: input.error,
  })
  return retryOrFail(ctx, withoutRequestId(state), error, nowMs)
}

export const transitions: Table = {
  idle: { 'pairing.start': start },
  'fetching-info': {
    'http.response': (s, i, ctx, now) => onDeviceInfo(s, i.response, ctx, now),
    'http.failed': onHttpFailed,
    'pairing.renew': (s) => ({ state: { ...s, forceRenew: true }, actions: [] }),
    'pairing.stop': stop,
  },
  verifying: {
    'http.response': (s, i, ctx, now) => onVerifyResponse(s, i.response, ctx, now),
    'http.failed': onHttpFailed,
    // the verify answer no longer matters: its request id goes stale
    'pairing.renew': (s, _i, ctx) =>
      enterCreatingKey(ctx, { tag: 'creating-key', brokerUrl: s.brokerUrl }),
    'pairing.stop': stop,
  },
  'creating-key': {
    'crypto.keyAndCsr': (s, i, ctx) => onKeyAndCsr(s, i, ctx),
    'crypto.failed': (s, i, ctx, now) => onCryptoFailed(s, i.error, ctx, now),
    'pairing.stop': stop,
  },
  'requesting-credentials': {
    'http.response': (s, i, ctx, now) => onCredentials(s, i.response, ctx, now),
    'http.failed': onHttpFailed,
    'pairing.stop': stop,
  },
  saving: {
    'credentials.saved': (s, _i, ctx, now) => onSaved(s, ctx, now),
    'credentials.saveFailed': (s, i, ctx, now) => onSaveFailed(s, i.error, ctx, now),
    'pairing.stop': stop,
  },
  ready: {
    'pairing.start': (s, i, ctx, now) => withCancel(s, start(s, i, ctx, now)),
    'pairing.renew': (s, _i, ctx) =>
      withCancel(s, enterCreatingKey(ctx, { tag: 'creating-key', brokerUrl: s.brokerUrl })),
    timer: (s, _i, ctx) => enterCreatingKey(ctx, { tag: 'creating-key', brokerUrl: s.brokerUrl }),
    'pairing.stop': stop,
  },
  'backing-off': {
    timer: (s, _i, ctx) => enterStep(ctx, s.step),
    'pairing.renew': (s) => ({ state: redirectToRenewal(s), actions: [] }),
    'pairing.stop': stop,
  },
  failed: {
    'pairing.start': start,
    // sticky: whoever needs new credentials learns why there are none
    'pairing.renew': (s) => ({ state: s, actions: [{ type: 'pairing.failed', error: s.error }] }),
    'pairing.stop': stop,
  },
}

function withCancel(state: Ready, t: Transition): Transition {
  return { state: t.state, actions: [cancel(state), ...t.actions] }
}
