/**
 * @module calibrate processor: `y = x × gain + offset` on the message's numbers (a sensor's
 * two-point calibration); its reverse undoes it, `x = (y − offset) / gain`, so a setpoint in
 * calibrated units reaches the hardware in its own.
 */
import type { ProcessorFactory } from '../processor.js'
import { mapNumbers } from './numeric.js'
import { OptionReader } from './options.js'

/** `calibrate(gain=1, offset=0, field=<all numbers>)`; gain must not be 0 (the reverse divides by it). */
export const calibrate: ProcessorFactory = (options) => {
  const o = new OptionReader('calibrate', options)
  const gain = o.number('gain', 1)
  const offset = o.number('offset', 0)
  const field = o.optionalString('field')
  o.done()
  if (gain === 0) throw o.problem('gain', 'must not be 0')
  return {
    process: (m) => mapNumbers(m, field, (x) => x * gain + offset),
    reverse: (m) => mapNumbers(m, field, (y) => (y - offset) / gain),
  }
}
