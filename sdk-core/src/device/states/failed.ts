/** @module device state error: stopped by an error retrying can't fix; `start` resets it. */
import type { SdkError } from '../../errors.js'

export interface Failed {
  readonly tag: 'error'
  readonly error: SdkError
}
