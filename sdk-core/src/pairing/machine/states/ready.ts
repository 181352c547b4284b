/**
 * @module pairing state ready: credentials verified or freshly issued; one timer renews them
 * ahead of expiry (spec §4.5).
 */
import type { BrokerAddress } from '../../broker-url.js'
import type { Context } from '../context.js'
import { nextBackoffMs, nextId } from '../context.js'
import type { Transition } from '../state.js'
import type { AdoptedCredentials } from '../context.js'
import type { PairingAction } from '../types.js'
import { renewKey } from './creating-key.js'

export interface Ready {
  readonly tag: 'ready'
  readonly brokerUrl: BrokerAddress
  /** The proactive renewal timer. */
  readonly timerId: string
}

/** `renewed`: the credentials were just issued (and the previous certificate revoked). */
export function enterReady(
  ctx: Context,
  brokerUrl: BrokerAddress,
  renewed: boolean,
  nowMs: number,
): Transition {
  const creds = ctx.credentials
  if (creds === undefined || (!renewed && creds.renewAtMs <= nowMs)) {
    return renewKey(ctx, brokerUrl)
  }
  let atMs = creds.renewAtMs
  if (atMs > nowMs) {
    ctx.attempt = 0
  } else {
    // Due as soon as issued: this clock is ahead of the CA's (or the lifetime is tiny). Renewing
    // again would revoke and reissue in a loop as long as the clock is wrong, so the renewal
    // time is counted from now, when the certificate was issued, as the CA counts it; at least
    // a backoff, for a lifetime shorter than one.
    atMs = nowMs + Math.max(creds.renewAtMs - creds.info.notBeforeMs, nextBackoffMs(ctx))
  }
  const timerId = nextId(ctx)
  return {
    state: { tag: 'ready', brokerUrl, timerId },
    actions: [readyAction(creds, brokerUrl, atMs, renewed), { type: 'timer.set', timerId, atMs }],
  }
}

/**
 * Stored credentials announced before Pairing checked them, when the broker is known from an
 * earlier run: connecting and verifying then overlap. Only the local checks have passed (CN,
 * and `nowMs` before the renewal time, itself before `notAfter`): a certificate expired or due
 * by the local clock is never announced, it is renewed first.
 */
export function announceStored(
  ctx: Context,
  broker: BrokerAddress | undefined,
  nowMs: number,
): PairingAction | undefined {
  const creds = ctx.credentials
  if (broker === undefined || creds === undefined || nowMs >= creds.renewAtMs) return undefined
  return readyAction(creds, broker, creds.renewAtMs, false)
}

function readyAction(
  creds: AdoptedCredentials,
  brokerUrl: BrokerAddress,
  renewAtMs: number,
  renewed: boolean,
): PairingAction {
  return {
    type: 'pairing.ready',
    brokerUrl,
    certificatePem: creds.certificatePem,
    privateKeyPem: creds.privateKeyPem,
    notBeforeMs: creds.info.notBeforeMs,
    notAfterMs: creds.info.notAfterMs,
    renewAtMs,
    renewed,
  }
}
