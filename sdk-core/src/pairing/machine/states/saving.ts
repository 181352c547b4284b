/**
 * @module pairing state saving: waits until the runtime persisted key and certificate together,
 * so a restart never pairs a new certificate with an old key.
 */
import type { BrokerAddress } from '../../broker-url.js'
import type { Context } from '../context.js'
import type { Transition } from '../state.js'
import { issue } from '../state.js'
import { renewKey } from './creating-key.js'
import { enterReady } from './ready.js'

export interface Saving {
  readonly tag: 'saving'
  readonly requestId: string
  readonly brokerUrl: BrokerAddress
}

export function enterSaving(ctx: Context, step: Omit<Saving, 'requestId'>): Transition {
  const creds = ctx.credentials
  if (creds === undefined) return renewKey(ctx, step.brokerUrl)
  const { privateKeyPem, certificatePem } = creds
  return issue(ctx, step, (requestId) => ({
    type: 'credentials.save',
    requestId,
    privateKeyPem,
    certificatePem,
  }))
}

export function onSaved(state: Saving, _input: unknown, ctx: Context, nowMs: number): Transition {
  return enterReady(ctx, state.brokerUrl, true, nowMs)
}
