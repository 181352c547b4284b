/**
 * @module threshold processor: a number to on/off, `true` at or above `level`, with optional
 * `hysteresis` (once on, off only below `level − hysteresis`), so a noisy reading near the
 * level doesn't chatter. The same mapping applies in reverse: a setpoint in percent drives a
 * GPIO output. Booleans and other values pass unchanged.
 */
import type { ProcessorFactory } from '../processor.js'
import { mapNumbers } from './numeric.js'
import { OptionReader } from './options.js'

/** `threshold(level, hysteresis=0, field=<all numbers>)`. */
export const threshold: ProcessorFactory = (options) => {
  const o = new OptionReader('threshold', options)
  const level = o.number('level')
  const hysteresis = o.number('hysteresis', 0)
  const field = o.optionalString('field')
  o.done()
  if (hysteresis < 0) throw o.problem('hysteresis', 'must not be negative')
  const state = { forward: false, reverse: false }
  const decide = (direction: 'forward' | 'reverse') => (x: number) => {
    const on = state[direction] ? x >= level - hysteresis : x >= level
    state[direction] = on
    return on
  }
  const forward = decide('forward')
  const back = decide('reverse')
  return {
    process: (m) => mapNumbers(m, field, forward),
    reverse: (m) => mapNumbers(m, field, back),
  }
}
