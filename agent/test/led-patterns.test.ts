/**
 * The LedBehavior timings on a manual clock: each behavior's exact on/off timeline, built from
 * the spec's numbers (edgehog-agent §4) — Blink 1 s/1 s, DoubleBlink 300 on, 200 off, 300 on,
 * 200 off + 800 pause, SlowBlink 2 s/2 s, cycles begun within 60 s finished — and no drift when
 * timers fire late.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { Timers } from '@astarte-ts/sdk-core'
import { ManualClock } from '@astarte-ts/runtime-testing'
import {
  LED_PATTERNS,
  SimulatedLed,
  type LedBehaviorName,
  type LedChange,
} from '../src/led/index.js'
import { runPattern } from '../src/led/patterns.js'
import { manualTimers } from './server-data-env.js'

/** `count` cycles of `cycleMs` from `startMs`, each with `steps` as [offset, on] pairs. */
function cycles(
  startMs: number,
  count: number,
  cycleMs: number,
  steps: readonly (readonly [number, boolean])[],
): LedChange[] {
  const out: LedChange[] = []
  for (let k = 0; k < count; k++) {
    for (const [offset, on] of steps) out.push({ atMs: startMs + k * cycleMs + offset, on })
  }
  return out
}

/** Runs `behavior` to its end; the timeline and when `done` came. */
function runToEnd(behavior: LedBehaviorName, timers?: (clock: ManualClock) => Timers) {
  const clock = new ManualClock()
  const startMs = clock.now()
  const led = new SimulatedLed(clock)
  let doneAt: number | undefined
  runPattern(
    LED_PATTERNS[behavior],
    clock,
    (timers ?? manualTimers)(clock),
    (on) => void led.set(on),
    () => (doneAt = clock.now()),
  )
  clock.advance(120_000)
  return { startMs, timeline: led.timeline, doneAt, pending: clock.pending() }
}

describe('LED patterns', () => {
  it('Blink60Seconds: 1 s on, 1 s off, 30 cycles, done at 60 s', () => {
    const { startMs, timeline, doneAt, pending } = runToEnd('Blink60Seconds')
    const expected = cycles(startMs, 30, 2000, [
      [0, true],
      [1000, false],
    ])
    assert.deepEqual(timeline, expected)
    assert.equal(doneAt, startMs + 60_000)
    assert.deepEqual(pending, [])
  })

  it('DoubleBlink60Seconds: two 300 ms flashes 200 ms apart, 800 ms pause, 34 cycles', () => {
    const { startMs, timeline, doneAt, pending } = runToEnd('DoubleBlink60Seconds')
    const expected = cycles(startMs, 34, 300 + 200 + 300 + 200 + 800, [
      [0, true],
      [300, false],
      [500, true],
      [800, false],
    ])
    assert.deepEqual(timeline, expected)
    // the 34th cycle begins at 59.4 s, within the minute, and is finished
    assert.equal(doneAt, startMs + 34 * 1800)
    assert.deepEqual(pending, [])
  })

  it('SlowBlink60Seconds: 2 s on, 2 s off, 15 cycles, done at 60 s', () => {
    const { startMs, timeline, doneAt, pending } = runToEnd('SlowBlink60Seconds')
    const expected = cycles(startMs, 15, 4000, [
      [0, true],
      [2000, false],
    ])
    assert.deepEqual(timeline, expected)
    assert.equal(doneAt, startMs + 60_000)
    assert.deepEqual(pending, [])
  })

  it('keeps each step at its offset from the start when timers fire late', () => {
    const behaviors = Object.keys(LED_PATTERNS) as LedBehaviorName[]
    fc.assert(
      fc.property(
        fc.constantFrom(...behaviors),
        fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1, maxLength: 20 }),
        (behavior, lateness) => {
          const exact = runToEnd(behavior).timeline
          let n = 0
          const late = (clock: ManualClock): Timers => {
            const timers = manualTimers(clock)
            return {
              set: (fn, delayMs) => timers.set(fn, delayMs + lateness[n++ % lateness.length]!),
              clear: (handle) => timers.clear(handle),
            }
          }
          const { timeline } = runToEnd(behavior, late)
          assert.equal(timeline.length, exact.length)
          timeline.forEach((change, i) => {
            const due = exact[i]!
            assert.equal(change.on, due.on)
            assert.ok(change.atMs >= due.atMs && change.atMs <= due.atMs + 150, `step ${i}`)
          })
        },
      ),
      { numRuns: 30 },
    )
  })

  it('stops where it is when cancelled', () => {
    const clock = new ManualClock()
    const led = new SimulatedLed(clock)
    let done = false
    const run = runPattern(
      LED_PATTERNS.SlowBlink60Seconds,
      clock,
      manualTimers(clock),
      (on) => void led.set(on),
      () => (done = true),
    )
    clock.advance(2500)
    run.cancel()
    clock.advance(120_000)
    const t0 = clock.now() - 122_500
    assert.deepEqual(led.timeline, [
      { atMs: t0, on: true },
      { atMs: t0 + 2000, on: false },
    ])
    assert.equal(done, false)
    assert.deepEqual(clock.pending(), [])
  })
})
