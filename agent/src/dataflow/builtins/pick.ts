/**
 * @module pick processor: keeps only the named fields of a record (a BME280's temperature and
 * humidity for an object interface that has no pressure). Scalars pass unchanged; a record with
 * none of the fields is dropped. No reverse: server data passes back unchanged.
 */
import type { AstarteValue } from '@astarte-ts/sdk-core'
import type { ProcessorFactory } from '../processor.js'
import { isRecord, withValue } from './numeric.js'
import { OptionReader } from './options.js'

/** `pick(fields="temperature humidity")`: space-separated names. */
export const pick: ProcessorFactory = (options) => {
  const o = new OptionReader('pick', options)
  const fields = o
    .optionalString('fields')
    ?.split(/\s+/)
    .filter((f) => f !== '')
  o.done()
  if (fields === undefined || fields.length === 0)
    throw o.problem('fields', 'must name at least one field')
  return {
    process(m) {
      const v = m.value
      if (!isRecord(v)) return m
      const out: Record<string, AstarteValue> = {}
      let any = false
      for (const f of fields) {
        const x = v[f]
        if (x === undefined) continue
        out[f] = x
        any = true
      }
      return any ? withValue(m, out) : undefined
    },
  }
}
