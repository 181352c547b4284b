/**
 * @module payload encode: `Validated*` → the MQTT payload bytes (spec §2.2): `{"v": …}` plus
 * `"t"` (UTC datetime) when timestamped, `{"v": {key: …}}` for objects, zero bytes for unset.
 */
import { BsonType } from '../bson/model.js'
import { BsonWriter as BsonWriterBinding, keySize as keySizeBinding } from '../bson/writer.js'
import type { AstarteType, Mapping } from '../interface/model.js'
import {
  emittedBsonType as emittedBsonTypeBinding,
  valueSize as valueSizeBinding,
  writeValue as writeValueBinding,
} from './bson-write.js'
import { mappingsByKey } from './resolve-cache.js'
import type { AstarteObjectValue, AstarteValue, Validated } from './types.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const BsonWriter = BsonWriterBinding
const keySize = keySizeBinding
const emittedBsonType = emittedBsonTypeBinding
const valueSize = valueSizeBinding
const writeValue = writeValueBinding
const DATETIME = BsonType.datetime
const DOCUMENT = BsonType.document

const V_ELEMENT = 3 // type byte + "v" + NUL
const T_ELEMENT = 11 // type byte + "t" + NUL + int64

type ByKey = ReadonlyMap<string, Mapping>

/** The mapping type of an object key of a validated object (so the key exists). */
const typeOf = (byKey: ByKey, key: string): AstarteType => (byKey.get(key) as Mapping).type

function objectSize(byKey: ByKey, keys: readonly string[], value: AstarteObjectValue): number {
  let n = 5
  for (const key of keys)
    n += keySize(key) + valueSize(typeOf(byKey, key), value[key] as AstarteValue)
  return n
}

/** Encodes a validated value as its MQTT payload. */
export function encodePayload(v: Validated): Uint8Array {
  if (v.kind === 'unset') return new Uint8Array(0)
  const byKey = v.kind === 'object' ? mappingsByKey(v.iface) : undefined
  const keys = byKey && Object.keys(v.value)
  const type = v.kind === 'object' ? undefined : v.mapping.type
  const size =
    5 +
    V_ELEMENT +
    (type === undefined
      ? objectSize(byKey as ByKey, keys as string[], v.value as AstarteObjectValue)
      : valueSize(type, v.value as AstarteValue)) +
    (v.timestamp ? T_ELEMENT : 0)
  const w = new BsonWriter(size)
  const start = w.openDocument()
  if (type === undefined) {
    w.header(DOCUMENT, 'v')
    const inner = w.openDocument()
    for (const key of keys as string[]) {
      const keyType = typeOf(byKey as ByKey, key)
      w.header(emittedBsonType[keyType], key)
      writeValue(w, keyType, (v.value as AstarteObjectValue)[key] as AstarteValue)
    }
    w.closeDocument(inner)
  } else {
    w.header(emittedBsonType[type], 'v')
    writeValue(w, type, v.value as AstarteValue)
  }
  if (v.timestamp) {
    w.header(DATETIME, 't')
    w.int64(v.timestamp.getTime())
  }
  w.closeDocument(start)
  return w.bytes
}
