/**
 * @module the tagged JSON form of messages used by the golden frames (`vectors/`): CBOR items
 * JSON can't tell apart are tagged, `{"double": x}` (a float64), `{"int": "…"}` (a 64-bit
 * integer), `{"bytes": "hex"}` and `{"map": [[key, value], …]}`.
 */
import { Float64 } from './cbor.js'
import type { Message } from './messages.js'

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** Lower-case hex of `b`. */
export function toHex(b: Uint8Array): string {
  return hex(b)
}

/** Bytes of a hex string (whitespace ignored). */
export function fromHex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '')
  if (t.length % 2 !== 0 || /[^0-9a-fA-F]/.test(t))
    throw new TypeError(`not a hex string: ${s.slice(0, 20)}`)
  const out = new Uint8Array(t.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16)
  return out
}

function tag(v: unknown): unknown {
  if (v instanceof Float64) return { double: v.value }
  if (typeof v === 'bigint') return { int: v.toString() }
  if (v instanceof Uint8Array) return { bytes: hex(v) }
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [k, tag(x)]) }
  if (Array.isArray(v)) return v.map(tag)
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tag(x)]))
  return v
}

function untag(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untag)
  if (v === null || typeof v !== 'object') return v
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
  if (keys.length === 1) {
    if (typeof o.double === 'number') return new Float64(o.double)
    if (typeof o.int === 'string') return BigInt(o.int)
    if (typeof o.bytes === 'string') return fromHex(o.bytes)
    if (Array.isArray(o.map))
      return new Map((o.map as [number, unknown][]).map(([k, x]) => [k, untag(x)]))
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, untag(x)]))
}

/** `m` as tagged JSON-compatible data. */
export function messageToJson(m: Message): unknown {
  return tag(m)
}

/** A message from its tagged JSON form (as written by `messageToJson`). */
export function messageFromJson(j: unknown): Message {
  return untag(j) as Message
}
