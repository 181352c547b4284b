/**
 * @module pairing state fetching-info: waits for device info (spec §4.3.3), which gives the
 * broker address and says whether credentials may be requested at all.
 */
import { SdkError } from '../../../errors.js'
import type { HttpResponse } from '../../../ports.js'
import { deviceInfoRequest, parseDeviceInfoResponse } from '../../device-info.js'
import type { Context } from '../context.js'
import type { Transition } from '../state.js'
import { issueHttp } from '../state.js'
import { retry } from './backing-off.js'
import { renewKey } from './creating-key.js'
import { enterFailed } from './failed.js'
import { enterVerifying } from './verifying.js'

export interface FetchingInfo {
  readonly tag: 'fetching-info'
  readonly requestId: string
  /** A `pairing.renew` arrived meanwhile: skip verification and renew. */
  readonly forceRenew: boolean
}

export function enterFetchingInfo(ctx: Context, step: Omit<FetchingInfo, 'requestId'>): Transition {
  return issueHttp(ctx, step, deviceInfoRequest(ctx.route))
}

export function onDeviceInfo(
  state: FetchingInfo,
  { response }: { readonly response: HttpResponse },
  ctx: Context,
  nowMs: number,
): Transition {
  const info = parseDeviceInfoResponse(response)
  if (!info.ok) return retry(ctx, state, info.error, nowMs)
  if (info.value.status === 'inhibited') {
    const message = "couldn't obtain credentials: the device's credentials are inhibited"
    const ctx = { status: 'inhibited' }
    return enterFailed(new SdkError('remote.pairing_inhibited', message, { ctx }))
  }
  const brokerUrl = info.value.brokerUrl
  // spec §4.5: check locally first; a certificate due for renewal is not worth a verify call
  const creds = ctx.credentials
  if (!state.forceRenew && creds !== undefined && nowMs < creds.renewAtMs) {
    return enterVerifying(ctx, { tag: 'verifying', brokerUrl })
  }
  return renewKey(ctx, brokerUrl)
}
