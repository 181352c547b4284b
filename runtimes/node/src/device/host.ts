/** @module host: Node's scheduler and timers, the host services sdk-core's driver runs on. */
import type { Scheduler, TimerHandle, Timers } from '@astarte-ts/sdk-core'

/** `setImmediate`: after the tick's promise jobs, before timers and I/O callbacks. */
export const nodeScheduler = {
  defer: (fn: () => void) => void setImmediate(fn),
} satisfies Scheduler

export const nodeTimers = {
  set: (fn: () => void, delayMs: number): TimerHandle => setTimeout(fn, delayMs),
  clear: (handle: TimerHandle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
} satisfies Timers
