/**
 * @module astarte value → bson: sizes and writes an already validated value by its mapping type
 * (spec §2.3 "emit" column): double always 0x01, longinteger always 0x12, binary subtype 0x00.
 */
import { BsonType } from '../bson/model.js'
import {
  indexKeyLength as indexKeyLengthBinding,
  stringSize as stringSizeBinding,
  type BsonWriter,
} from '../bson/writer.js'
import type { AstarteType } from '../interface/model.js'
import { astarteTypes, SCALAR_COUNT } from '../interface/astarte-types.js'
import type { AstarteValue } from './types.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const indexKeyLength = indexKeyLengthBinding
const stringSize = stringSizeBinding

const emitted = {} as Record<AstarteType, number>
const scalars = {} as Record<AstarteType, AstarteType>
// spec §2.3 "emit" column, in the order of `astarteTypes`'s scalars
const SCALAR_EMITTED = [
  BsonType.double,
  BsonType.int32,
  BsonType.boolean,
  BsonType.int64,
  BsonType.string,
  BsonType.binary,
  BsonType.datetime,
]
astarteTypes.forEach((type, i) => {
  emitted[type] = SCALAR_EMITTED[i] ?? BsonType.array
  scalars[type] = astarteTypes[i % SCALAR_COUNT] as AstarteType
})

/** Element type byte emitted for each Astarte type. */
export const emittedBsonType: Readonly<Record<AstarteType, number>> = emitted

/** The scalar type of an array type (itself for scalars). */
export const scalarOf: Readonly<Record<AstarteType, AstarteType>> = scalars

const ARRAY = BsonType.array

function scalarSize(type: AstarteType, value: unknown): number {
  switch (type) {
    case 'string':
      return stringSize(value as string)
    case 'binaryblob':
      return 5 + (value as Uint8Array).length
    case 'integer':
      return 4
    case 'boolean':
      return 1
    default:
      return 8
  }
}

/** Bytes of the value part of an element holding `value` as `type`. */
export function valueSize(type: AstarteType, value: AstarteValue): number {
  if (emittedBsonType[type] !== ARRAY) return scalarSize(type, value)
  const scalar = scalarOf[type]
  const items = value as readonly unknown[]
  let n = 5
  for (let i = 0; i < items.length; i++) n += 2 + indexKeyLength(i) + scalarSize(scalar, items[i])
  return n
}

function writeScalar(w: BsonWriter, type: AstarteType, value: unknown): void {
  switch (type) {
    case 'double':
      return w.double(value as number)
    case 'integer':
      return w.int32(value as number)
    case 'boolean':
      return w.boolean(value as boolean)
    case 'longinteger':
      w.int64(value as number | bigint)
      return
    case 'string':
      return w.string(value as string)
    case 'binaryblob':
      return w.binary(value as Uint8Array, 0)
    default:
      w.int64((value as Date).getTime())
      return
  }
}

/** Writes the value part of an element (the caller wrote the header). */
export function writeValue(w: BsonWriter, type: AstarteType, value: AstarteValue): void {
  if (emittedBsonType[type] !== ARRAY) return writeScalar(w, type, value)
  const scalar = scalarOf[type]
  const elementType = emittedBsonType[scalar]
  const items = value as readonly unknown[]
  const start = w.openDocument()
  for (let i = 0; i < items.length; i++) {
    w.indexHeader(elementType, i)
    writeScalar(w, scalar, items[i])
  }
  w.closeDocument(start)
}
