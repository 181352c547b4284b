/**
 * @module pairing state verifying: asks Pairing whether the stored certificate is still valid
 * (spec §4.3.5) — it catches revocation and a changed CA, which no local check can.
 */
import type { HttpResponse } from '../../../ports.js'
import type { BrokerAddress } from '../../broker-url.js'
import { parseVerifyResponse, verifyCredentialsRequest } from '../../verify.js'
import type { Context } from '../context.js'
import type { Transition } from '../state.js'
import { issueHttp } from '../state.js'
import { retry } from './backing-off.js'
import { renewKey } from './creating-key.js'
import { enterReady } from './ready.js'

export interface Verifying {
  readonly tag: 'verifying'
  readonly requestId: string
  readonly brokerUrl: BrokerAddress
}

export function enterVerifying(ctx: Context, step: Omit<Verifying, 'requestId'>): Transition {
  const creds = ctx.credentials
  if (creds === undefined) return renewKey(ctx, step.brokerUrl)
  const request = verifyCredentialsRequest({ ...ctx.route, certificatePem: creds.certificatePem })
  return issueHttp(ctx, step, request)
}

export function onVerifyResponse(
  state: Verifying,
  { response }: { readonly response: HttpResponse },
  ctx: Context,
  nowMs: number,
): Transition {
  const verdict = parseVerifyResponse(response)
  if (!verdict.ok) return retry(ctx, state, verdict.error, nowMs)
  return verdict.value.valid
    ? enterReady(ctx, state.brokerUrl, false, nowMs)
    : renewKey(ctx, state.brokerUrl)
}
