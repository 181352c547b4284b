/**
 * @module pairing transitions: the whole machine as one table, state × input → step. A pair
 * that is absent is ignored (stale answers, a renewal already under way, a start while busy).
 */
import { SdkError, type SdkErrorCode } from '../../errors.js'
import type { Context } from './context.js'
import type { BusyState, PairingState, Transition } from './state.js'
import type { BackingOff } from './states/backing-off.js'
import { redirectToRenewal, retry } from './states/backing-off.js'
import { onKeyAndCsr, renewKey } from './states/creating-key.js'
import { enterStep } from './states/enter-step.js'
import { enterFetchingInfo, onDeviceInfo } from './states/fetching-info.js'
import { idle } from './states/idle.js'
import type { Ready } from './states/ready.js'
import { announceStored } from './states/ready.js'
import { onCredentials } from './states/requesting-credentials.js'
import { onSaved } from './states/saving.js'
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

/**
 * The request failed without an answer (`cause`): always worth a retry, as the error `code` and
 * `message` say. For HTTP (network, TLS, timeout), key creation and the credentials' save.
 */
const failedWith =
  (code: SdkErrorCode, message: string) =>
  (state: BusyState, input: { readonly error: unknown }, ctx: Context, nowMs: number) =>
    retry(ctx, state, new SdkError(code, message, { cause: input.error }), nowMs)

const onHttpFailed = failedWith('remote.pairing_unreachable', "couldn't reach the pairing api")

export const transitions: Table = {
  idle: { 'pairing.start': start },
  'fetching-info': {
    'http.response': onDeviceInfo,
    'http.failed': onHttpFailed,
    'pairing.renew': (s) => ({ state: { ...s, forceRenew: true }, actions: [] }),
    'pairing.stop': stop,
  },
  verifying: {
    'http.response': onVerifyResponse,
    'http.failed': onHttpFailed,
    // the verify answer no longer matters: its request id goes stale
    'pairing.renew': (s, _i, ctx) => renewKey(ctx, s.brokerUrl),
    'pairing.stop': stop,
  },
  'creating-key': {
    'crypto.keyAndCsr': onKeyAndCsr,
    'crypto.failed': failedWith('local.crypto_failed', "couldn't create a key pair and csr"),
    'pairing.stop': stop,
  },
  'requesting-credentials': {
    'http.response': onCredentials,
    'http.failed': onHttpFailed,
    'pairing.stop': stop,
  },
  saving: {
    'credentials.saved': onSaved,
    'credentials.saveFailed': failedWith(
      'local.credentials_save_failed',
      "couldn't save the credentials",
    ),
    'pairing.stop': stop,
  },
  ready: {
    'pairing.start': (s, i, ctx, now) => withCancel(s, start(s, i, ctx, now)),
    'pairing.renew': (s, _i, ctx) => withCancel(s, renewKey(ctx, s.brokerUrl)),
    timer: (s, _i, ctx) => renewKey(ctx, s.brokerUrl),
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
