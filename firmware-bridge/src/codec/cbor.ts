/**
 * @module the CBOR subset of PROTOCOL.md §2. Reading goes through `cbor-x`; writing is our own,
 * because golden frames need preferred serialisation byte for byte (cbor-x writes 64-bit integers
 * in 8 bytes whatever their size, integral numbers above 2³² as floats, and −0 as an integer).
 */
import { Decoder } from 'cbor-x'
import { SdkError } from '@astarte-ts/sdk-core'

/** A number written as a CBOR double whatever its value (an Astarte `double`). */
export class Float64 {
  constructor(readonly value: number) {}
}

/** The CBOR data items the protocol uses. Maps are keyed by small unsigned integers. */
export type CborValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float64
  | readonly CborValue[]
  | ReadonlyMap<number, CborValue>

const MAX_U64 = (1n << 64n) - 1n

class Writer {
  private buf = new Uint8Array(64)
  private len = 0

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n))
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  byte(b: number): void {
    this.room(1)
    this.buf[this.len++] = b
  }

  bytes(b: Uint8Array): void {
    this.room(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
  }

  head(major: number, n: bigint | number): void {
    const v = BigInt(n)
    const m = major << 5
    if (v < 24n) this.byte(m | Number(v))
    else if (v < 0x100n) this.bytes(Uint8Array.of(m | 24, Number(v)))
    else if (v < 0x10000n) this.bytes(Uint8Array.of(m | 25, Number(v >> 8n), Number(v & 0xffn)))
    else if (v < 0x100000000n) {
      this.byte(m | 26)
      for (let s = 24n; s >= 0n; s -= 8n) this.byte(Number((v >> s) & 0xffn))
    } else {
      this.byte(m | 27)
      for (let s = 56n; s >= 0n; s -= 8n) this.byte(Number((v >> s) & 0xffn))
    }
  }

  float64(x: number): void {
    const b = new Uint8Array(9)
    b[0] = 0xfb
    new DataView(b.buffer).setFloat64(1, x)
    this.bytes(b)
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

function integer(w: Writer, v: bigint): void {
  if (v > MAX_U64 || v < -MAX_U64 - 1n) {
    throw new SdkError(
      'local.cbor_int_range',
      `couldn't encode ${v}: outside the 64-bit CBOR integer range`,
    )
  }
  if (v >= 0n) w.head(0, v)
  else w.head(1, -1n - v)
}

function write(w: Writer, v: CborValue): void {
  if (v === null) w.byte(0xf6)
  else if (v === false) w.byte(0xf4)
  else if (v === true) w.byte(0xf5)
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) integer(w, BigInt(v))
    else w.float64(v)
  } else if (typeof v === 'bigint') integer(w, v)
  else if (typeof v === 'string') {
    const b = new TextEncoder().encode(v)
    w.head(3, b.length)
    w.bytes(b)
  } else if (v instanceof Uint8Array) {
    w.head(2, v.length)
    w.bytes(v)
  } else if (v instanceof Float64) w.float64(v.value)
  else if (Array.isArray(v)) {
    w.head(4, v.length)
    for (const item of v as readonly CborValue[]) write(w, item)
  } else {
    const m = v as ReadonlyMap<number, CborValue>
    const keys = [...m.keys()].sort((a, b) => a - b)
    w.head(5, keys.length)
    for (const k of keys) {
      w.head(0, k)
      write(w, m.get(k)!)
    }
  }
}

/** Encodes `v` in preferred serialisation (shortest heads; map keys ascending). */
export function encodeCbor(v: CborValue): Uint8Array {
  const w = new Writer()
  write(w, v)
  return w.result()
}

const decoder = new Decoder({ useRecords: false, mapsAsObjects: false })

function normalise(v: unknown, at: string, depth: number): CborValue {
  if (depth > 16) throw bad(`nesting deeper than 16 at ${at}`)
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v
  if (typeof v === 'number') return v
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v
  if (v instanceof Uint8Array) return new Uint8Array(v)
  if (Array.isArray(v)) return v.map((item, i) => normalise(item, `${at}/${i}`, depth + 1))
  if (v instanceof Map) {
    const out = new Map<number, CborValue>()
    for (const [k, item] of v) {
      if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0)
        throw bad(`map key at ${at} is not an unsigned integer`)
      out.set(k, normalise(item, `${at}/${k}`, depth + 1))
    }
    return out
  }
  throw bad(`unsupported CBOR item at ${at}`)
}

function bad(message: string, cause?: unknown): SdkError {
  return new SdkError('remote.frame_bad_cbor', `couldn't decode frame body: ${message}`, { cause })
}

/**
 * Decodes exactly one CBOR item filling `bytes`.
 * @throws SdkError `remote.frame_bad_cbor` for malformed, truncated or trailing data, tags,
 * `undefined`, non-integer map keys or nesting deeper than 16.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  let v: unknown
  try {
    // A copy: cbor-x caches a DataView on the buffer it is given.
    v = decoder.decode(bytes.slice())
  } catch (e) {
    throw bad(e instanceof Error ? e.message.toLowerCase() : 'malformed', e)
  }
  return normalise(v, '', 0)
}
