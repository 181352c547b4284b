/** @module pairing enter step: (re-)enters a busy state, issuing its request anew. */
import { assertNever } from '../../../errors.js'
import type { Context } from '../context.js'
import type { PendingStep, Transition } from '../state.js'
import { enterCreatingKey } from './creating-key.js'
import { enterFetchingInfo } from './fetching-info.js'
import { enterRequestingCredentials } from './requesting-credentials.js'
import { enterSaving } from './saving.js'
import { enterVerifying } from './verifying.js'

export function enterStep(ctx: Context, step: PendingStep): Transition {
  switch (step.tag) {
    case 'fetching-info':
      return enterFetchingInfo(ctx, step)
    case 'verifying':
      return enterVerifying(ctx, step)
    case 'creating-key':
      return enterCreatingKey(ctx, step)
    case 'requesting-credentials':
      return enterRequestingCredentials(ctx, step)
    case 'saving':
      return enterSaving(ctx, step)
    default:
      return assertNever(step)
  }
}
