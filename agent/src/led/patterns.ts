/**
 * @module led patterns: the `LedBehavior` values and their timings (edgehog-agent spec §4), as
 * edgehog-device-runtime runs them: a cycle of on/off steps repeated while less than 60 s have
 * passed since the start; a cycle begun is finished, so the LED ends off at a cycle's end.
 * Blink60Seconds: 1 s on, 1 s off (30 cycles, 60 s). DoubleBlink60Seconds: 300 ms on, 200 ms
 * off, 300 ms on, 200 ms off then the 800 ms pause (34 cycles of 1.8 s, 61.2 s).
 * SlowBlink60Seconds: 2 s on, 2 s off (15 cycles, 60 s).
 */
import type { Clock, TimerHandle, Timers } from '@astarte-ts/sdk-core'

/** One step of a cycle: the LED's state, held for `ms`. */
export interface BlinkStep {
  readonly on: boolean
  readonly ms: number
}

/** A behavior's timing. */
export interface BlinkPattern {
  readonly steps: readonly BlinkStep[]
  /** Cycles start while less than this has passed since the first. */
  readonly durationMs: number
}

export type LedBehaviorName = 'Blink60Seconds' | 'DoubleBlink60Seconds' | 'SlowBlink60Seconds'

const MINUTE = 60_000

/** Every behavior the `LedBehavior` interface names. */
export const LED_PATTERNS: Readonly<Record<LedBehaviorName, BlinkPattern>> = {
  Blink60Seconds: {
    steps: [
      { on: true, ms: 1000 },
      { on: false, ms: 1000 },
    ],
    durationMs: MINUTE,
  },
  DoubleBlink60Seconds: {
    steps: [
      { on: true, ms: 300 },
      { on: false, ms: 200 },
      { on: true, ms: 300 },
      // the second flash's 200 ms gap, then the cycle's 800 ms pause
      { on: false, ms: 1000 },
    ],
    durationMs: MINUTE,
  },
  SlowBlink60Seconds: {
    steps: [
      { on: true, ms: 2000 },
      { on: false, ms: 2000 },
    ],
    durationMs: MINUTE,
  },
}

export function isLedBehavior(value: string): value is LedBehaviorName {
  return Object.prototype.hasOwnProperty.call(LED_PATTERNS, value)
}

/** A pattern running; `cancel` stops it where it is. */
export interface PatternRun {
  cancel(): void
}

/**
 * Runs `pattern` from now: `set` gets each step's state at its time, `done` is called after the
 * last cycle. Each step is due at its offset from the start, so timer lateness doesn't add up.
 */
export function runPattern(
  pattern: BlinkPattern,
  clock: Clock,
  timers: Timers,
  set: (on: boolean) => void,
  done: () => void,
): PatternRun {
  const cycleMs = pattern.steps.reduce((sum, s) => sum + s.ms, 0)
  const startMs = clock.now()
  let cycleStartMs = startMs
  let step = 0
  let offsetMs = 0
  let handle: TimerHandle | undefined
  let cancelled = false
  const tick = (): void => {
    handle = undefined
    if (step === pattern.steps.length) {
      if (cycleStartMs + cycleMs - startMs >= pattern.durationMs) {
        done()
        return
      }
      cycleStartMs += cycleMs
      step = 0
      offsetMs = 0
    }
    const current = pattern.steps[step]!
    step += 1
    offsetMs += current.ms
    set(current.on)
    // `set` may cancel the run (a listener reacting to the change)
    if (cancelled) return
    handle = timers.set(tick, Math.max(0, cycleStartMs + offsetMs - clock.now()))
  }
  tick()
  return {
    cancel() {
      cancelled = true
      if (handle !== undefined) timers.clear(handle)
      handle = undefined
    },
  }
}
