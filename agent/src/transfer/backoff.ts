/** @module backoff: jittered exponential delays and a sleep an AbortSignal cuts short. */

/** How often, and how patiently, a failed transfer is tried again. */
export interface RetryPolicy {
  /** Attempts in a row without progress before giving up (1 = no retry). */
  readonly attempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000 }

/**
 * The delay before retry `failure` (1-based): "equal jitter", half fixed and half random, so
 * a fleet that lost its server at once does not come back in lockstep, yet never retries at 0.
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  failure: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failure - 1))
  return ceiling / 2 + random() * (ceiling / 2)
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
