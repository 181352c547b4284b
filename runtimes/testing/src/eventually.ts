/**
 * @module eventually: waiting in tests for what a real server, broker or engine does when it
 * does it — without a sleep standing in for synchronisation.
 */

/**
 * Resolves with the first value `poll` returns that `ok` accepts, polling every `intervalMs` for
 * up to `ms`. A poll that throws is tried again; the timeout's error names `what` and the last
 * value seen (or the last error).
 */
export async function eventually<T>(
  what: string,
  poll: () => Promise<T> | T,
  ok: (value: T) => boolean,
  ms = 10_000,
  intervalMs = 50,
): Promise<T> {
  const end = Date.now() + ms
  let last: T | undefined
  let error: unknown
  while (Date.now() < end) {
    try {
      last = await poll()
      error = undefined
      if (ok(last)) return last
    } catch (e) {
      error = e
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  const why = error instanceof Error ? error.message : JSON.stringify(last, jsonSafe)
  throw new Error(`timed out waiting for ${what}; last: ${why}`)
}

/** A `JSON.stringify` replacer for values that hold bigints. */
export function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value
}
