/**
 * @module filter processor: passes a message whose number lies within `[min, max]` and drops the
 * others (a sensor glitch, a reading out of the instrument's range). A message without that
 * number passes. No reverse: server data passes back unchanged.
 */
import type { ProcessorFactory } from '../processor.js'
import { numberAt } from './numeric.js'
import { OptionReader } from './options.js'

/** `filter(min=-Infinity, max=Infinity, field=<the value>)`; on a record, `field` is required. */
export const filter: ProcessorFactory = (options) => {
  const o = new OptionReader('filter', options)
  const min = o.optionalNumber('min') ?? -Infinity
  const max = o.optionalNumber('max') ?? Infinity
  const field = o.optionalString('field')
  o.done()
  if (min > max) throw o.problem('max', 'must not be below min')
  return {
    process(m) {
      const x = numberAt(m, field)
      return x === undefined || (x >= min && x <= max) ? m : undefined
    },
  }
}
