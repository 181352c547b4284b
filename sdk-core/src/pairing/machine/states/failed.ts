/**
 * @module pairing state failed: sticky after an error retrying cannot fix (wrong secret, unknown
 * device, inhibited credentials), so a misconfigured device never hammers the Pairing API.
 */
import type { SdkError } from '../../../errors.js'
import type { Transition } from '../state.js'

export interface Failed {
  readonly tag: 'failed'
  readonly error: SdkError
}

export function enterFailed(error: SdkError): Transition {
  return { state: { tag: 'failed', error }, actions: [{ type: 'pairing.failed', error }] }
}
