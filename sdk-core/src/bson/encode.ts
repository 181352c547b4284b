/**
 * @module bson encode: tagged document → bytes, sized exactly first and written once into a
 * single buffer. Keys must not contain NUL (BSON C-strings); `int32` must be an int32 and
 * `int64`/`datetime` within int64.
 */
import { SdkError, assertNever } from '../errors.js'
import { BsonType, type BsonDocument, type BsonValue } from './model.js'
import { BsonWriter, indexKeyLength, keySize, stringSize } from './writer.js'

/**
 * Encodes a document.
 * @throws SdkError `local.unencodable_bson` for a key with NUL or an out-of-range integer.
 */
export function encodeBson(doc: BsonDocument): Uint8Array {
  const w = new BsonWriter(documentSize(doc))
  writeDocument(w, doc)
  return w.bytes
}

function unencodable(reason: string): SdkError {
  return new SdkError('local.unencodable_bson', `couldn't encode bson: ${reason}`)
}

function documentSize(doc: BsonDocument): number {
  let n = 5
  for (const [key, value] of doc) {
    if (key.indexOf('\0') >= 0) throw unencodable('a key contains NUL')
    n += keySize(key) + valueSize(value)
  }
  return n
}

function arraySize(items: readonly BsonValue[]): number {
  let n = 5
  for (let i = 0; i < items.length; i++) n += 2 + indexKeyLength(i) + valueSize(items[i] as BsonValue)
  return n
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function checkInt64(v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw unencodable(`${v} is outside int64`)
}

function valueSize(v: BsonValue): number {
  switch (v.type) {
    case 'double':
      return 8
    case 'string':
      return stringSize(v.value)
    case 'document':
      return documentSize(v.value)
    case 'array':
      return arraySize(v.value)
    case 'binary':
      return 5 + v.value.length
    case 'boolean':
      return 1
    case 'datetime':
    case 'int64':
      checkInt64(v.value)
      return 8
    case 'null':
      return 0
    case 'int32':
      if ((v.value | 0) !== v.value || Object.is(v.value, -0)) {
        throw unencodable(`${v.value} is not an int32`)
      }
      return 4
    default:
      return assertNever(v)
  }
}

function writeDocument(w: BsonWriter, doc: BsonDocument): void {
  const start = w.openDocument()
  for (const [key, value] of doc) {
    w.headerUtf8(BsonType[value.type], key)
    writeValue(w, value)
  }
  w.closeDocument(start)
}

function writeValue(w: BsonWriter, v: BsonValue): void {
  switch (v.type) {
    case 'double':
      return w.double(v.value)
    case 'string':
      return w.string(v.value)
    case 'document':
      return writeDocument(w, v.value)
    case 'array': {
      const start = w.openDocument()
      const items = v.value
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as BsonValue
        w.indexHeader(BsonType[item.type], i)
        writeValue(w, item)
      }
      return w.closeDocument(start)
    }
    case 'binary':
      return w.binary(v.value, v.subtype ?? 0)
    case 'boolean':
      return w.boolean(v.value)
    case 'datetime':
    case 'int64':
      return w.int64(v.value)
    case 'null':
      return
    case 'int32':
      return w.int32(v.value)
    default:
      return assertNever(v)
  }
}
