/** @module flow metrics: every count a flow keeps, drops by reason. */
import type { FlowMode } from './notation/ast.js'

/**
 * Why a message left a flow without reaching the SDK (or, backwards, the actuator). Each has a
 * counter; none happens silently (each is logged, at most once per power of two of its count).
 */
export type DropReason =
  /** a push flow's buffer was full: its oldest message was dropped to take the new one */
  | 'overflow'
  /** the SDK refused the message (invalid for its mapping; `discard` while offline …) */
  | 'rejected'
  /** its tags don't fill the sink's path template */
  | 'unroutable'
  /** a source's `read(n)` returned more than n */
  | 'overRead'
  /** pull requests beyond the flow's bound */
  | 'pullOverflow'
  /** still buffered when the flow's stop gave up waiting */
  | 'shutdown'
  /** emitted after the flow stopped */
  | 'afterStop'
  /** reverse messages beyond the actuator queue's bound (the oldest went) */
  | 'reverseOverflow'
  /** server data the reverse direction can't carry (an unset) */
  | 'reverseIgnored'
  /** the actuator refused the message */
  | 'actuatorFailed'

export const DROP_REASONS: readonly DropReason[] = [
  'overflow',
  'rejected',
  'unroutable',
  'overRead',
  'pullOverflow',
  'shutdown',
  'afterStop',
  'reverseOverflow',
  'reverseIgnored',
  'actuatorFailed',
]

/** A snapshot of one flow's counters. */
export interface FlowMetrics {
  readonly name: string
  readonly mode: FlowMode
  /** Messages the source gave the flow. */
  readonly received: number
  /** Messages a processor dropped by design (a filter, a deadband, a tumbling window). */
  readonly filtered: number
  /** Outputs handed to the SDK. */
  readonly sent: number
  /** Outputs the SDK accepted: they have left the flow. */
  readonly accepted: number
  readonly dropped: Readonly<Record<DropReason, number>>
  /** Processor throws, total and by processor name. */
  readonly processorErrors: number
  readonly processorErrorsBy: Readonly<Record<string, number>>
  /** Source `read` rejections. */
  readonly sourceErrors: number
  /** Inputs waiting for the SDK to make room, now and at most (bounded by `bound`). */
  readonly queue: { readonly length: number; readonly max: number; readonly bound: number }
  /** Outputs handed to the SDK and not settled yet, now and at most. */
  readonly inFlight: { readonly count: number; readonly max: number; readonly bound: number }
  /** Reverse direction: server messages taken, applied by the actuator. */
  readonly reverse: { readonly received: number; readonly applied: number }
  /** Pull requests received (pull flows). */
  readonly pullRequests: number
}
