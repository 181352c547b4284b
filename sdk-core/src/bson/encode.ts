/**
 * @module bson encode: tagged document → bytes, sized exactly first and written once into a
 * single buffer. Keys must not contain NUL (BSON C-strings); `int32` must be an int32 and
 * `int64`/`datetime` within int64.
 */
import { SdkError, assertNever } from '../errors.js'
import { BsonType as BsonTypeBinding, type BsonDocument, type BsonValue } from './model.js'
import {
  BsonWriter as BsonWriterBinding,
  indexKeyLength as indexKeyLengthBinding,
  keySize as keySizeBinding,
  stringSize as stringSizeBinding,
} from './writer.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const BsonWriter = BsonWriterBinding
const indexKeyLength = indexKeyLengthBinding
const keySize = keySizeBinding
const stringSize = stringSizeBinding
const BsonType = BsonTypeBinding
type BsonWriter = BsonWriterBinding

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
  doc.forEach((value, key) => {
    n += keySize(key) + valueSize(value)
  })
  return n
}

function arraySize(items: readonly BsonValue[]): number {
  let n = 5
  for (let i = 0; i < items.length; i++) {
    n += 2 + indexKeyLength(i) + valueSize(items[i] as BsonValue)
  }
  return n
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
  doc.forEach((value, key) => {
    w.headerUtf8(BsonType[value.type], key)
    writeValue(w, value)
  })
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
      if (!w.int64(v.value)) throw unencodable(`${v.value} is outside int64`)
      return
    case 'null':
      return
    case 'int32':
      return w.int32(v.value)
    default:
      return assertNever(v)
  }
}
