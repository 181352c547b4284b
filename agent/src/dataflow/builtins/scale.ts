/**
 * @module scale processor: maps the range `[from_min, from_max]` linearly onto `[to_min, to_max]`
 * (a 0–4095 ADC count to 0–100 %, °C to °F); the reverse maps back. `clamp` keeps results inside
 * the target range in both directions.
 */
import type { ProcessorFactory } from '../processor.js'
import { mapNumbers } from './numeric.js'
import { OptionReader } from './options.js'

/** `scale(from_min, from_max, to_min, to_max, clamp=false, field=<all numbers>)`. */
export const scale: ProcessorFactory = (options) => {
  const o = new OptionReader('scale', options)
  const fromMin = o.number('from_min')
  const fromMax = o.number('from_max')
  const toMin = o.number('to_min')
  const toMax = o.number('to_max')
  const clamp = o.boolean('clamp', false)
  const field = o.optionalString('field')
  o.done()
  if (fromMin === fromMax) throw o.problem('from_max', 'must differ from from_min')
  if (toMin === toMax) throw o.problem('to_max', 'must differ from to_min')
  const linear = (a0: number, a1: number, b0: number, b1: number) => {
    const k = (b1 - b0) / (a1 - a0)
    const lo = Math.min(b0, b1)
    const hi = Math.max(b0, b1)
    return (x: number): number => {
      const y = b0 + (x - a0) * k
      return clamp ? Math.min(hi, Math.max(lo, y)) : y
    }
  }
  const forward = linear(fromMin, fromMax, toMin, toMax)
  const back = linear(toMin, toMax, fromMin, fromMax)
  return {
    process: (m) => mapNumbers(m, field, forward),
    reverse: (m) => mapNumbers(m, field, back),
  }
}
