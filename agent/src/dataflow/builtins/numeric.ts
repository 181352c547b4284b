/**
 * @module numeric processor helpers: applying a number → value function to a message's numbers
 * (the value itself, every numeric field of a record, or the one field an option names).
 * Non-numeric values pass unchanged; a message with no number to change is returned as it is.
 */
import type { AstarteValue } from '@astarte-ts/sdk-core'
import type { FlowMessage, FlowRecord, FlowValue } from '../source-sink.js'

/** Whether a value is a record of named values (not an Astarte scalar, array, date or bytes). */
export function isRecord(value: FlowValue): value is FlowRecord {
  return (
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  )
}

/** The message with `value` in place of its value, timestamp and tags kept. */
export function withValue(message: FlowMessage, value: FlowValue): FlowMessage {
  const { timestamp, tags } = message
  return tags === undefined ? { value, timestamp } : { value, timestamp, tags }
}

/** Applies `fn` to the message's numbers (only `field` of a record when given). */
export function mapNumbers(
  message: FlowMessage,
  field: string | undefined,
  fn: (x: number, field: string) => AstarteValue,
): FlowMessage {
  const v = message.value
  if (typeof v === 'number') return withValue(message, fn(v, field ?? 'value'))
  if (!isRecord(v)) return message
  if (field !== undefined) {
    const x = v[field]
    return typeof x === 'number' ? withValue(message, { ...v, [field]: fn(x, field) }) : message
  }
  const out: Record<string, AstarteValue> = {}
  for (const key in v) {
    const x = v[key] as AstarteValue
    out[key] = typeof x === 'number' ? fn(x, key) : x
  }
  return withValue(message, out)
}

/** The number a message carries at `field` (or its scalar value), if any. */
export function numberAt(message: FlowMessage, field: string | undefined): number | undefined {
  const v = message.value
  if (typeof v === 'number') return v
  if (field === undefined || !isRecord(v)) return undefined
  const x = v[field]
  return typeof x === 'number' ? x : undefined
}
