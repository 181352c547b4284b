/**
 * @module progress reporter: when a transfer's `fileTransfer.Progress` is worth sending: at the
 * start, whenever it advanced by 10 points of its size or for a second, and at the end.
 */
import type { Clock } from '@astarte-ts/sdk-core'

const STEP_PERCENT = 10
const EVERY_MS = 1000

export interface ProgressReading {
  readonly bytes: number
  /** -1 when unknown, as the interface has it. */
  readonly totalBytes: number
}

/** Calls `send` for the readings worth sending, never twice for the same bytes. */
export function progressReporter(
  clock: Clock,
  send: (p: ProgressReading) => void,
): (bytes: number, total: number | undefined, final: boolean) => void {
  let lastBytes = -1
  let lastPercent = -Infinity
  let lastAt = -Infinity
  return (bytes, total, final) => {
    if (bytes === lastBytes) return
    const percent = total === undefined || total === 0 ? 0 : (bytes * 100) / total
    const now = clock.now()
    if (
      !final &&
      lastBytes >= 0 &&
      percent - lastPercent < STEP_PERCENT &&
      now - lastAt < EVERY_MS
    ) {
      return
    }
    lastBytes = bytes
    lastPercent = percent
    lastAt = now
    send({ bytes, totalBytes: total ?? -1 })
  }
}
