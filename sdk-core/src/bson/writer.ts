/**
 * @module bson writer: writes into one preallocated buffer whose size the caller computed
 * exactly; the `*Size` helpers give each element's byte count (BSON 1.1).
 */
import { utf8Length, utf8Write } from './utf8.js'

const TWO_32 = 4294967296

/** Bytes of an element header: type byte + key + NUL. */
export function keySize(key: string): number {
  let n = key.length
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) >= 0x80) {
      n = utf8Length(key)
      break
    }
  }
  return 2 + n
}

/** Bytes of the decimal array key for `index` (without the type byte and NUL). */
export function indexKeyLength(index: number): number {
  return index < 10 ? 1 : index < 100 ? 2 : index < 1000 ? 3 : String(index).length
}

/** Bytes of a string value: length + UTF-8 + NUL. */
export function stringSize(s: string): number {
  return 5 + utf8Length(s)
}

export class BsonWriter {
  readonly bytes: Uint8Array
  readonly view: DataView
  pos = 0

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }

  /** Starts a document; returns its start offset for `closeDocument`. */
  openDocument(): number {
    const at = this.pos
    this.pos += 4
    return at
  }

  closeDocument(start: number): void {
    this.bytes[this.pos++] = 0
    this.view.setInt32(start, this.pos - start, true)
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
    this.bytes[this.pos++] = type
    this.pos = utf8Write(this.bytes, this.pos, key)
    this.bytes[this.pos++] = 0
  }

  /** Element header with a decimal array index as key. */
  indexHeader(type: number, index: number): void {
    const b = this.bytes
    b[this.pos++] = type
    if (index < 10) b[this.pos++] = 0x30 + index
    else {
      const s = String(index)
      for (let i = 0; i < s.length; i++) b[this.pos++] = s.charCodeAt(i)
    }
    b[this.pos++] = 0
  }

  double(v: number): void {
    this.view.setFloat64(this.pos, v, true)
    this.pos += 8
  }

  int32(v: number): void {
    this.view.setInt32(this.pos, v, true)
    this.pos += 4
  }

  /** int64 from a safe integer number or a bigint (two's complement, little-endian). */
  int64(v: number | bigint): void {
    if (typeof v === 'bigint') this.view.setBigInt64(this.pos, v, true)
    else {
      const hi = Math.floor(v / TWO_32)
      this.view.setUint32(this.pos, v - hi * TWO_32, true)
      this.view.setInt32(this.pos + 4, hi, true)
    }
    this.pos += 8
  }

  boolean(v: boolean): void {
    this.bytes[this.pos++] = v ? 1 : 0
  }

  string(s: string): void {
    const at = this.pos
    const end = utf8Write(this.bytes, at + 4, s)
    this.bytes[end] = 0
    this.view.setInt32(at, end + 1 - at - 4, true)
    this.pos = end + 1
  }

  binary(data: Uint8Array, subtype: number): void {
    this.view.setInt32(this.pos, data.length, true)
    this.bytes[this.pos + 4] = subtype
    this.bytes.set(data, this.pos + 5)
    this.pos += 5 + data.length
  }
}
