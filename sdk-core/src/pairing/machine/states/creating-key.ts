/**
 * @module pairing state creating-key: waits for the runtime's new key pair and CSR; every
 * renewal gets a new private key (spec §4.5).
 */
import type { BrokerAddress } from '../../broker-url.js'
import type { Context } from '../context.js'
import type { Transition } from '../state.js'
import { issue } from '../state.js'
import { enterRequestingCredentials } from './requesting-credentials.js'

export interface CreatingKey {
  readonly tag: 'creating-key'
  readonly requestId: string
  readonly brokerUrl: BrokerAddress
}

export function enterCreatingKey(ctx: Context, step: Omit<CreatingKey, 'requestId'>): Transition {
  return issue(ctx, step, (requestId) => ({
    type: 'crypto.createKeyAndCsr',
    requestId,
    algorithm: ctx.keyAlgorithm,
    commonName: ctx.commonName,
  }))
}

/** Renews: a new key pair and CSR for the broker at `brokerUrl`. */
export function renewKey(ctx: Context, brokerUrl: BrokerAddress): Transition {
  return enterCreatingKey(ctx, { tag: 'creating-key', brokerUrl })
}

export function onKeyAndCsr(
  state: CreatingKey,
  input: { readonly privateKeyPem: string; readonly csrPem: string },
  ctx: Context,
): Transition {
  return enterRequestingCredentials(ctx, {
    tag: 'requesting-credentials',
    brokerUrl: state.brokerUrl,
    privateKeyPem: input.privateKeyPem,
    csrPem: input.csrPem,
  })
}
