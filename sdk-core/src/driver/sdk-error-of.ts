/** @module sdk error of: what a port threw, as the one error class the device reports. */
import { SdkError } from '../errors.js'

/** Anything thrown by an adapter, as an `SdkError` (adapters already throw those). */
export function toSdkError(error: unknown): SdkError {
  if (error instanceof SdkError) return error
  // the reason inside the sentence: a device bundle that drops sentences drops it too
  return new SdkError(
    'local.io_failed',
    `couldn't complete an i/o operation: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  )
}
