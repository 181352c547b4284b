/**
 * @module pairing state: the union of the machine's states (each in its own file) and what a
 * step returns. A busy state's data minus its request id is the step a retry re-enters.
 */
import type { BackingOff } from './states/backing-off.js'
import type { CreatingKey } from './states/creating-key.js'
import type { Failed } from './states/failed.js'
import type { FetchingInfo } from './states/fetching-info.js'
import type { Idle } from './states/idle.js'
import type { Ready } from './states/ready.js'
import type { RequestingCredentials } from './states/requesting-credentials.js'
import type { Saving } from './states/saving.js'
import type { Verifying } from './states/verifying.js'
import type { Context } from './context.js'
import { nextId } from './context.js'
import type { PairingAction } from './types.js'
import type { HttpRequest } from '../../ports.js'

export type PairingState =
  | Idle
  | FetchingInfo
  | Verifying
  | CreatingKey
  | RequestingCredentials
  | Saving
  | Ready
  | BackingOff
  | Failed

export type BusyState = FetchingInfo | Verifying | CreatingKey | RequestingCredentials | Saving

export type Pending<S> = S extends unknown ? Omit<S, 'requestId'> : never

/** A busy state before its request went out. */
export type PendingStep = Pending<BusyState>

export interface Transition {
  readonly state: PairingState
  readonly actions: readonly PairingAction[]
}

/** Enters a busy state: mints its request id and emits the one action it then waits for. */
export function issue(
  ctx: Context,
  step: PendingStep,
  action: (requestId: string) => PairingAction,
): Transition {
  const requestId = nextId(ctx)
  return { state: { ...step, requestId }, actions: [action(requestId)] }
}

/** Enters a busy state that waits for the answer to `request`. */
export function issueHttp(ctx: Context, step: PendingStep, request: HttpRequest): Transition {
  return issue(ctx, step, (requestId) => ({ type: 'http', requestId, request }))
}

export function withoutRequestId<S extends BusyState>(state: S): Pending<S> {
  const { requestId: _sent, ...step } = state
  // the rest of a member of the union is the pending form of that same member
  return step as Pending<S>
}
