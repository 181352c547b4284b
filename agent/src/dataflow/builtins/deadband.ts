/**
 * @module deadband processor: report by exception. Passes a message only when its number moved
 * by at least `delta` from the last one passed (the first always passes), which spares the
 * link a stream of unchanged readings. No reverse: server data passes back unchanged.
 */
import type { ProcessorFactory } from '../processor.js'
import { numberAt } from './numeric.js'
import { OptionReader } from './options.js'

/** `deadband(delta, field=<the value>)`; on a record, `field` is required. */
export const deadband: ProcessorFactory = (options) => {
  const o = new OptionReader('deadband', options)
  const delta = o.number('delta')
  const field = o.optionalString('field')
  o.done()
  if (delta < 0) throw o.problem('delta', 'must not be negative')
  let last: number | undefined
  return {
    process(m) {
      const x = numberAt(m, field)
      if (x === undefined) return m
      if (last !== undefined && Math.abs(x - last) < delta) return undefined
      last = x
      return m
    },
  }
}
