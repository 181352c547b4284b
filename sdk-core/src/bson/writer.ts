/**
 * @module bson writer: writes into one preallocated buffer whose size the caller computed
 * exactly; the `*Size` helpers give each element's byte count (BSON 1.1).
 */
import { SdkError } from '../errors.js'
import { isInt64, writeInt64, type Int64 } from './int64.js'
import { utf8Length as utf8LengthBinding, utf8Write as utf8WriteBinding } from './utf8.js'
import { writeFloat64 as writeFloat64Binding, TWO_32 } from './scratch.js'
import { pooledBytes } from './pool.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const utf8Length = utf8LengthBinding
const utf8Write = utf8WriteBinding
const writeFloat64 = writeFloat64Binding

function writeInt32(dst: Uint8Array, at: number, v: number): void {
  dst[at] = v
  dst[at + 1] = v >>> 8
  dst[at + 2] = v >>> 16
  dst[at + 3] = v >>> 24
}

/**
 * Bytes of an element header: type byte + key + NUL.
 * @throws SdkError `local.unencodable_bson` when the key contains NUL (BSON keys are C strings).
 */
export function keySize(key: string): number {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c === 0) {
      throw new SdkError('local.unencodable_bson', "couldn't encode bson: a key contains NUL")
    }
    if (c >= 0x80) return 2 + utf8Length(key)
  }
  return 2 + key.length
}

/** Bytes of the decimal array key for `index` (without the type byte and NUL). */
export function indexKeyLength(index: number): number {
  return index < 10 ? 1 : index < 100 ? 2 : index < 1000 ? 3 : String(index).length
}

/** Bytes of a string value: length + UTF-8 + NUL. */
export function stringSize(s: string): number {
  return 5 + utf8Length(s)
}

/**
 * Writes one document. `bytes` may be a view into a shared slab (like a Node `Buffer`): use its
 * `byteOffset`/`byteLength`, never its whole `.buffer`.
 */
export class BsonWriter {
  readonly bytes: Uint8Array
  pos = 0

  constructor(size: number) {
    this.bytes = pooledBytes(size)
  }

  /** Starts a document; returns its start offset for `closeDocument`. */
  openDocument(): number {
    const at = this.pos
    this.pos += 4
    return at
  }

  closeDocument(start: number): void {
    this.bytes[this.pos++] = 0
    writeInt32(this.bytes, start, this.pos - start)
  }

  /** Element header with a key known to be ASCII-free of NULs (`v`, `t`, array indices). */
  header(type: number, key: string): void {
    const b = this.bytes
    b[this.pos++] = type
    for (let i = 0; i < key.length; i++) b[this.pos++] = key.charCodeAt(i)
    b[this.pos++] = 0
  }

  /** Element header with any key (UTF-8). */
  headerUtf8(type: number, key: string): void {
    const b = this.bytes
    b[this.pos++] = type
    const start = this.pos
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i)
      if (c >= 0x80) {
        this.pos = utf8Write(b, start, key)
        break
      }
      b[this.pos++] = c
    }
    b[this.pos++] = 0
  }

  /** Element header with a decimal array index as key. */
  indexHeader(type: number, index: number): void {
    const b = this.bytes
    let p = this.pos
    b[p++] = type
    if (index < 10) b[p++] = 0x30 + index
    else if (index < 100) {
      b[p++] = 0x30 + ((index / 10) | 0)
      b[p++] = 0x30 + (index % 10)
    } else {
      const digits = indexKeyLength(index)
      for (let i = digits - 1, n = index; i >= 0; i--, n = (n / 10) | 0) b[p + i] = 0x30 + (n % 10)
      p += digits
    }
    b[p++] = 0
    this.pos = p
  }

  double(v: number): void {
    writeFloat64(this.bytes, this.pos, v)
    this.pos += 8
  }

  int32(v: number): void {
    writeInt32(this.bytes, this.pos, v)
    this.pos += 4
  }

  /**
   * int64 from a safe integer number or an `Int64` (two's complement, little-endian); false when
   * the `Int64` is outside int64 (nothing written).
   */
  int64(v: number | Int64): boolean {
    if (isInt64(v)) {
      if (!writeInt64(this.bytes, this.pos, v)) return false
    } else {
      const hi = Math.floor(v / TWO_32)
      writeInt32(this.bytes, this.pos, v - hi * TWO_32)
      writeInt32(this.bytes, this.pos + 4, hi)
    }
    this.pos += 8
    return true
  }

  boolean(v: boolean): void {
    this.bytes[this.pos++] = v ? 1 : 0
  }

  string(s: string): void {
    const at = this.pos
    const end = utf8Write(this.bytes, at + 4, s)
    this.bytes[end] = 0
    writeInt32(this.bytes, at, end + 1 - at - 4)
    this.pos = end + 1
  }

  binary(data: Uint8Array, subtype: number): void {
    writeInt32(this.bytes, this.pos, data.length)
    this.bytes[this.pos + 4] = subtype
    this.bytes.set(data, this.pos + 5)
    this.pos += 5 + data.length
  }
}
