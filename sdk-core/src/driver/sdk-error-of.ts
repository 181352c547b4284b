/** @module sdk error of: what a port threw, as the one error class the device reports. */
import { SdkError } from '../errors.js'

/** Anything thrown by an adapter, as an `SdkError` (adapters already throw those). */
export function toSdkError(error: unknown): SdkError {
  if (error instanceof SdkError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new SdkError('local.io_failed', `couldn't complete an i/o operation: ${message}`, {
    cause: error,
  })
}
