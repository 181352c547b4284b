/**
 * @module message freezing: what makes concurrent processors' inputs identical. The message,
 * its record, arrays and tags are frozen in place (a processor that tries to mutate them throws
 * in strict code and is counted as failed). Dates and byte arrays can't be frozen, so a message
 * holding one is deep-copied for each concurrent processor instead.
 */
import type { AstarteValue } from '@astarte-ts/sdk-core'
import type { FlowMessage, FlowValue } from './source-sink.js'

const isMutableLeaf = (v: unknown): boolean => v instanceof Date || ArrayBuffer.isView(v)

/** Freezes `message` deeply; returns whether it holds a leaf freezing can't protect. */
export function freezeMessage(message: FlowMessage): boolean {
  if (message.tags !== undefined) Object.freeze(message.tags)
  Object.freeze(message)
  return freezeValue(message.value)
}

function freezeValue(value: FlowValue | AstarteValue): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (isMutableLeaf(value)) return true
  let mutable = false
  for (const item of Object.values(value)) mutable = freezeValue(item as FlowValue) || mutable
  Object.freeze(value)
  return mutable
}

/** A frozen deep copy of a message (dates and byte arrays copied). */
export function frozenCopy(message: FlowMessage): FlowMessage {
  const copy: FlowMessage = {
    value: copyValue(message.value) as FlowValue,
    timestamp: message.timestamp,
    ...(message.tags === undefined ? {} : { tags: { ...message.tags } }),
  }
  freezeMessage(copy)
  return copy
}

function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Date) return new Date(value.getTime())
  if (value instanceof Uint8Array) return value.slice()
  if (Array.isArray(value)) return value.map(copyValue)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = copyValue(v)
  return out
}
