/**
 * @module queue bounds: the one policy both retention queues apply when full.
 * `drop-oldest` (default) evicts from the head until the new message fits and reports it;
 * `reject-new` refuses the new message with `local.store_full`. A message that could never fit
 * (payload over `maxBytes`) is refused under both policies.
 */
import { SdkError } from '@astarte-ts/sdk-core'

export type OverflowPolicy = 'drop-oldest' | 'reject-new'

/** What an eviction reports: how many messages this enqueue dropped and in total so far. */
export interface OverflowEvent {
  readonly queue: 'stored' | 'volatile'
  readonly dropped: number
  readonly droppedTotal: number
}

export interface QueueBoundsOptions {
  /** Most messages held; default 100 000. */
  readonly maxMessages?: number
  /** Most payload bytes held (topics not counted); default 64 MiB. */
  readonly maxBytes?: number
  readonly overflow?: OverflowPolicy
  /** Called after `drop-oldest` evicted messages, e.g. to log a warning. */
  readonly onOverflow?: (event: OverflowEvent) => void
}

export interface QueueBounds {
  readonly maxMessages: number
  readonly maxBytes: number
  readonly overflow: OverflowPolicy
  readonly onOverflow: (event: OverflowEvent) => void
}

export const DEFAULT_MAX_MESSAGES = 100_000
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

export function resolveBounds(o: QueueBoundsOptions): QueueBounds {
  const bounds = {
    maxMessages: o.maxMessages ?? DEFAULT_MAX_MESSAGES,
    maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
    overflow: o.overflow ?? 'drop-oldest',
    onOverflow: o.onOverflow ?? ((): void => undefined),
  }
  if (!(bounds.maxMessages >= 1 && bounds.maxBytes >= 0)) {
    const message = "couldn't use queue bounds: need maxMessages ≥ 1, maxBytes ≥ 0"
    throw new SdkError('local.invalid_option', message, {
      ctx: { maxMessages: bounds.maxMessages, maxBytes: bounds.maxBytes },
    })
  }
  return bounds
}

export const storeFullError = (
  queue: 'stored' | 'volatile',
  ctx: Record<string, unknown>,
): SdkError =>
  new SdkError('local.store_full', `couldn't enqueue: the ${queue} retention queue is full`, {
    ctx,
  })

/** Whether a queue holding `count` messages of `bytes` has room for one more of `size` bytes. */
export const fits = (b: QueueBounds, count: number, bytes: number, size: number): boolean =>
  count + 1 <= b.maxMessages && bytes + size <= b.maxBytes

/** Throws unless the new message may be stored (possibly after evicting the oldest ones). */
export function admit(
  b: QueueBounds,
  queue: 'stored' | 'volatile',
  count: number,
  bytes: number,
  size: number,
): void {
  if (size > b.maxBytes) throw storeFullError(queue, { size, maxBytes: b.maxBytes })
  if (b.overflow === 'reject-new' && !fits(b, count, bytes, size)) {
    throw storeFullError(queue, { count, bytes, maxMessages: b.maxMessages, maxBytes: b.maxBytes })
  }
}
