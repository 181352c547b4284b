/**
 * @module bson reader: a strict cursor over one BSON buffer, the way Astarte's decoder (Cyanide)
 * reads it (spec §2.1). Every malformation throws `SdkError('remote.undecodable_bson')` with the
 * byte offset; no other exception escapes for any input.
 */
import { SdkError } from '../errors.js'
import { BsonType, MAX_DEPTH, type BsonDocument, type BsonValue } from './model.js'
import { readInt64, type Int64 } from './int64.js'
import { utf8Read as utf8ReadBinding } from './utf8.js'
import { readFloat64 as readFloat64Binding, TWO_32 } from './scratch.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const utf8Read = utf8ReadBinding
const readFloat64 = readFloat64Binding
const T = BsonType

function readInt32(src: Uint8Array, at: number): number {
  return (
    (src[at] as number) |
    ((src[at + 1] as number) << 8) |
    ((src[at + 2] as number) << 16) |
    ((src[at + 3] as number) << 24)
  )
}

/** The error every decoding failure becomes. */
export function undecodable(offset: number, reason: string): SdkError {
  return new SdkError('remote.undecodable_bson', `couldn't decode bson: ${reason}`, {
    ctx: { offset },
  })
}

export class BsonReader {
  readonly bytes: Uint8Array
  /** Offset of the next byte to read. */
  pos = 0

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
  }

  /** The int32 at `at` (the caller checked the bounds). */
  int32At(at: number): number {
    return readInt32(this.bytes, at)
  }

  /**
   * Checks the document header at `pos` against `limit` (the end of the enclosing space) and
   * returns the offset of its terminating NUL; `pos` moves to the first element.
   */
  openDocument(limit: number, depth: number): number {
    const start = this.pos
    if (depth > MAX_DEPTH) throw undecodable(start, 'documents nested too deeply')
    if (limit - start < 5) throw undecodable(start, 'document shorter than 5 bytes')
    const len = readInt32(this.bytes, start)
    if (len < 5 || len > limit - start) {
      throw undecodable(start, `declared document length ${len} does not fit`)
    }
    const last = start + len - 1
    if (this.bytes[last] !== 0) throw undecodable(last, 'document lacks its trailing NUL')
    this.pos = start + 4
    return last
  }

  /**
   * Reads an element's type byte; 0 means the document ended, which is only valid at `last`.
   * Returns 0 at the end (and moves past the NUL).
   */
  nextType(last: number): number {
    const at = this.pos
    const type = this.bytes[at] as number
    if (type === 0) {
      if (at !== last) throw undecodable(at, 'document terminator before its declared end')
      this.pos = at + 1
      return 0
    }
    if (at >= last) throw undecodable(at, 'element runs past its document')
    this.pos = at + 1
    return type
  }

  /** Skips a key, returning the offset of its terminating NUL (before `last`). */
  skipKey(last: number): number {
    const b = this.bytes
    let i = this.pos
    while (i < last && b[i] !== 0) i++
    if (i >= last) throw undecodable(this.pos, 'element key is not NUL-terminated')
    const start = this.pos
    this.pos = i + 1
    return start
  }

  /** Reads a key as a string (valid UTF-8 required). */
  readKey(last: number): string {
    const start = this.skipKey(last)
    const key = utf8Read(this.bytes, start, this.pos - 1)
    if (key === undefined) throw undecodable(start, 'element key is not valid utf-8')
    return key
  }

  /** Checks that `n` bytes remain before `limit` and advances; returns the start offset. */
  take(n: number, limit: number): number {
    const at = this.pos
    if (limit - at < n) throw undecodable(at, 'value runs past its document')
    this.pos = at + n
    return at
  }

  double(last: number): number {
    return readFloat64(this.bytes, this.take(8, last))
  }

  int32(last: number): number {
    return readInt32(this.bytes, this.take(4, last))
  }

  /** int64 as a number when that is exact, else `undefined` (the caller then reads an `Int64`). */
  int64Number(last: number): number | undefined {
    const at = this.take(8, last)
    const hi = readInt32(this.bytes, at + 4)
    if (hi > 0x1fffff || hi < -0x200000) return undefined
    return hi * TWO_32 + (readInt32(this.bytes, at) >>> 0)
  }

  int64(last: number): Int64 {
    return readInt64(this.bytes, this.take(8, last))
  }

  boolean(last: number): boolean {
    const at = this.take(1, last)
    const b = this.bytes[at]
    if (b === 1) return true
    if (b === 0) return false
    throw undecodable(at, `boolean byte ${String(b)} is neither 0 nor 1`)
  }

  string(last: number): string {
    const at = this.take(4, last)
    const len = readInt32(this.bytes, at)
    if (len < 1 || len > last - this.pos) throw undecodable(at, `string length ${len} does not fit`)
    const start = this.pos
    const end = start + len - 1
    if (this.bytes[end] !== 0) throw undecodable(end, 'string lacks its trailing NUL')
    const s = utf8Read(this.bytes, start, end)
    if (s === undefined) throw undecodable(start, 'string is not valid utf-8')
    this.pos = end + 1
    return s
  }

  /** Binary payload and subtype; the bytes are a copy, independent of the input buffer. */
  binary(last: number): { data: Uint8Array; subtype: number } {
    const at = this.take(5, last)
    const len = readInt32(this.bytes, at)
    if (len < 0 || len > last - this.pos) throw undecodable(at, `binary length ${len} does not fit`)
    const subtype = this.bytes[at + 4] as number
    const start = this.pos
    this.pos = start + len
    return { data: this.bytes.slice(start, start + len), subtype }
  }

  /** Reads an array header and checks that its element keys are "0", "1", ... in order. */
  arrayKey(last: number, index: number): void {
    const start = this.skipKey(last)
    const b = this.bytes
    const end = this.pos - 1
    let n = 0
    for (let i = start; i < end; i++) {
      const d = (b[i] as number) - 0x30
      if (d < 0 || d > 9 || (i === start && d === 0 && end - start > 1)) n = -1
      if (n < 0) break
      n = n * 10 + d
    }
    if (n !== index || end === start) throw undecodable(start, `array key is not "${index}"`)
  }

  /** Reads any value of the subset. */
  value(type: number, last: number, depth: number): BsonValue {
    switch (type) {
      case T.double:
        return { type: 'double', value: this.double(last) }
      case T.string:
        return { type: 'string', value: this.string(last) }
      case T.document:
        return { type: 'document', value: this.document(last, depth + 1) }
      case T.array:
        return { type: 'array', value: this.array(last, depth + 1) }
      case T.binary: {
        const { data, subtype } = this.binary(last)
        return { type: 'binary', value: data, subtype }
      }
      case T.boolean:
        return { type: 'boolean', value: this.boolean(last) }
      case T.datetime:
        return { type: 'datetime', value: this.int64(last) }
      case T.null:
        return { type: 'null' }
      case T.int32:
        return { type: 'int32', value: this.int32(last) }
      case T.int64:
        return { type: 'int64', value: this.int64(last) }
      default:
        throw undecodable(this.pos - 1, `unsupported element type 0x${type.toString(16)}`)
    }
  }

  /** Reads an embedded or root document at `pos` within `limit`. */
  document(limit: number, depth: number): BsonDocument {
    const last = this.openDocument(limit, depth)
    const out = new Map<string, BsonValue>()
    for (let type = this.nextType(last); type !== 0; type = this.nextType(last)) {
      const key = this.readKey(last)
      out.set(key, this.value(type, last, depth))
    }
    return out
  }

  array(limit: number, depth: number): BsonValue[] {
    const last = this.openDocument(limit, depth)
    const out: BsonValue[] = []
    for (let type = this.nextType(last); type !== 0; type = this.nextType(last)) {
      this.arrayKey(last, out.length)
      out.push(this.value(type, last, depth))
    }
    return out
  }
}
