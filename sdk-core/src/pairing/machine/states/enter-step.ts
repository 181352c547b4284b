/** @module pairing enter step: (re-)enters a busy state, issuing its request anew. */
import type { Context } from '../context.js'
import type { PendingStep, Transition } from '../state.js'
import { enterCreatingKey } from './creating-key.js'
import { enterFetchingInfo } from './fetching-info.js'
import { enterRequestingCredentials } from './requesting-credentials.js'
import { enterSaving } from './saving.js'
import { enterVerifying } from './verifying.js'

const ENTER: {
  readonly [T in PendingStep['tag']]: (
    ctx: Context,
    step: Extract<PendingStep, { tag: T }>,
  ) => Transition
} = {
  'fetching-info': enterFetchingInfo,
  verifying: enterVerifying,
  'creating-key': enterCreatingKey,
  'requesting-credentials': enterRequestingCredentials,
  saving: enterSaving,
}

export function enterStep(ctx: Context, step: PendingStep): Transition {
  return (ENTER[step.tag] as (ctx: Context, step: PendingStep) => Transition)(ctx, step)
}
