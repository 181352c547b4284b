/**
 * @module split processor: a record into one message per field, each tagged `field=<name>`
 * (a BME280 reading to `/%{room}/%{field}` on an individual interface). `fields` limits and
 * orders the fields taken. Scalars pass unchanged. No reverse: server data passes back unchanged.
 */
import type { FlowMessage } from '../source-sink.js'
import type { ProcessorFactory } from '../processor.js'
import { isRecord } from './numeric.js'
import { OptionReader } from './options.js'

/** `split(fields="temperature humidity")`: space-separated names; every field when absent. */
export const split: ProcessorFactory = (options) => {
  const o = new OptionReader('split', options)
  const only = o
    .optionalString('fields')
    ?.split(/\s+/)
    .filter((f) => f !== '')
  o.done()
  return {
    process(m) {
      const v = m.value
      if (!isRecord(v)) return m
      const out: FlowMessage[] = []
      for (const field of only ?? Object.keys(v)) {
        const x = v[field]
        if (x === undefined) continue
        out.push({ value: x, timestamp: m.timestamp, tags: { ...m.tags, field } })
      }
      return out
    },
  }
}
