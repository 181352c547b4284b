/** @module host: Espruino's timers and clock, the host services sdk-core's driver runs on. */
import type { Clock, Scheduler, TimerHandle, Timers } from '@astarte-ts/sdk-core'

declare function setTimeout(fn: () => void, ms: number): TimerHandle
declare function clearTimeout(handle: TimerHandle): void

/** A zero-delay timer: Espruino runs it after the current task, with the other timers. */
export const espruinoScheduler: Scheduler = {
  defer: (fn) => void setTimeout(fn, 0),
}

export const espruinoTimers: Timers = {
  set: (fn, delayMs) => setTimeout(fn, delayMs),
  clear: (handle) => clearTimeout(handle),
}

/** The board's clock: it must have been set (SNTP on ESP32) for certificates and expiries. */
export const espruinoClock: Clock = { now: () => Date.now() }
