/**
 * @module payload encode: `Validated*` → the MQTT payload bytes (spec §2.2): `{"v": …}` plus
 * `"t"` (UTC datetime) when timestamped, `{"v": {key: …}}` for objects, zero bytes for unset.
 */
import { assertNever } from '../errors.js'
import { BsonType } from '../bson/model.js'
import { BsonWriter, keySize } from '../bson/writer.js'
import { objectKey } from '../interface/index.js'
import type { AstarteType, Interface } from '../interface/model.js'
import { emittedBsonType, valueSize, writeValue } from './bson-write.js'
import type { AstarteObjectValue, AstarteValue, Validated } from './types.js'

const V_ELEMENT = 3 // type byte + "v" + NUL
const T_ELEMENT = 11 // type byte + "t" + NUL + int64

const keyTypes = new WeakMap<Interface, ReadonlyMap<string, AstarteType>>()

/** Object key → mapping type, computed once per interface. */
function typesByKey(iface: Interface): ReadonlyMap<string, AstarteType> {
  let types = keyTypes.get(iface)
  if (types === undefined) {
    types = new Map(iface.mappings.map((m) => [objectKey(m), m.type]))
    keyTypes.set(iface, types)
  }
  return types
}

function objectSize(types: ReadonlyMap<string, AstarteType>, value: AstarteObjectValue): number {
  let n = 5
  for (const key of Object.keys(value)) {
    n += keySize(key) + valueSize(types.get(key) as AstarteType, value[key] as AstarteValue)
  }
  return n
}

/** Encodes a validated value as its MQTT payload. */
export function encodePayload(v: Validated): Uint8Array {
  switch (v.kind) {
    case 'unset':
      return new Uint8Array(0)
    case 'individual': {
      const type = v.mapping.type
      const size = 5 + V_ELEMENT + valueSize(type, v.value) + (v.timestamp ? T_ELEMENT : 0)
      const w = new BsonWriter(size)
      const start = w.openDocument()
      w.header(emittedBsonType[type], 'v')
      writeValue(w, type, v.value)
      if (v.timestamp) {
        w.header(BsonType.datetime, 't')
        w.int64(v.timestamp.getTime())
      }
      w.closeDocument(start)
      return w.bytes
    }
    case 'object': {
      const types = typesByKey(v.iface)
      const size = 5 + V_ELEMENT + objectSize(types, v.value) + (v.timestamp ? T_ELEMENT : 0)
      const w = new BsonWriter(size)
      const start = w.openDocument()
      w.header(BsonType.document, 'v')
      const inner = w.openDocument()
      for (const key of Object.keys(v.value)) {
        const type = types.get(key) as AstarteType
        w.header(emittedBsonType[type], key)
        writeValue(w, type, v.value[key] as AstarteValue)
      }
      w.closeDocument(inner)
      if (v.timestamp) {
        w.header(BsonType.datetime, 't')
        w.int64(v.timestamp.getTime())
      }
      w.closeDocument(start)
      return w.bytes
    }
    default:
      return assertNever(v)
  }
}
