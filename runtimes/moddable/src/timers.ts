/** @module timers: the driver's scheduler and timers on Moddable's `Timer`. */
import type { Scheduler, TimerHandle, Timers } from '@astarte-ts/sdk-core'
import Timer from 'timer'

/** `Timer.set(fn)`: once, right after the current turn and its promise jobs. */
export const moddableScheduler = {
  defer: (fn: () => void) => void Timer.set(fn),
} satisfies Scheduler

export const moddableTimers = {
  set: (fn: () => void, delayMs: number): TimerHandle => Timer.set(fn, delayMs),
  clear: (handle: TimerHandle) => Timer.clear(handle),
} satisfies Timers
