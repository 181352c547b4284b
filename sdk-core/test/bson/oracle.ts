/** Converts the tagged model to js-bson values (the test oracle), keeping key order with `Map`. */
import { Binary, Double, Int32, Long } from 'bson'
import type { BsonDocument, BsonValue } from '@astarte-ts/sdk-core'

export function toJsBson(doc: BsonDocument): Map<string, unknown> {
  const out = new Map<string, unknown>()
  for (const [k, v] of doc) out.set(k, toJsBsonValue(v))
  return out
}

export function toJsBsonValue(v: BsonValue): unknown {
  switch (v.type) {
    case 'double':
      return new Double(v.value)
    case 'string':
    case 'boolean':
      return v.value
    case 'document':
      return toJsBson(v.value)
    case 'array':
      return v.value.map(toJsBsonValue)
    case 'binary':
      return new Binary(v.value, v.subtype ?? 0)
    case 'datetime':
      return new Date(Number(v.value))
    case 'null':
      return null
    case 'int32':
      return new Int32(v.value)
    case 'int64':
      return Long.fromBigInt(v.value)
  }
}
