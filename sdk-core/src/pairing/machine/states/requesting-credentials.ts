/**
 * @module pairing state requesting-credentials: the one credentials request in flight. The
 * server revokes the previous certificate on receipt (spec §4.3.4), so there is never a second.
 */
import type { HttpResponse } from '../../../ports.js'
import type { BrokerAddress } from '../../broker-url.js'
import { credentialsRequest, parseCredentialsResponse } from '../../credentials.js'
import type { Context } from '../context.js'
import { adoptCredentials } from '../context.js'
import type { Transition } from '../state.js'
import { issueHttp, withoutRequestId } from '../state.js'
import { retryOrFail } from './backing-off.js'
import { enterSaving } from './saving.js'

export interface RequestingCredentials {
  readonly tag: 'requesting-credentials'
  readonly requestId: string
  readonly brokerUrl: BrokerAddress
  readonly privateKeyPem: string
  readonly csrPem: string
}

export function enterRequestingCredentials(
  ctx: Context,
  step: Omit<RequestingCredentials, 'requestId'>,
): Transition {
  const request = credentialsRequest({ ...ctx.route, csrPem: step.csrPem })
  return issueHttp(ctx, step, request)
}

export function onCredentials(
  state: RequestingCredentials,
  { response }: { readonly response: HttpResponse },
  ctx: Context,
  nowMs: number,
): Transition {
  const renewWithNewKey = { tag: 'creating-key', brokerUrl: state.brokerUrl } as const
  const pem = parseCredentialsResponse(response)
  if (!pem.ok) {
    // a CSR the server refuses (422) will be refused again: make a new one
    const retry = pem.error.code === 'remote.pairing_validation' ? renewWithNewKey : null
    return retryOrFail(ctx, retry ?? withoutRequestId(state), pem.error, nowMs)
  }
  const creds = { certificatePem: pem.value, privateKeyPem: state.privateKeyPem }
  const adopted = adoptCredentials(ctx, creds)
  if (!adopted.ok) return retryOrFail(ctx, renewWithNewKey, adopted.error, nowMs)
  // the old certificate is revoked by now: these are the device's only credentials
  ctx.credentials = adopted.value
  return enterSaving(ctx, { tag: 'saving', brokerUrl: state.brokerUrl })
}
