/**
 * @module base64: RFC 4648 standard (padded) and URL-safe unpadded alphabets, strict decoding
 * (no whitespace, correct padding, zero trailing bits) so every text has one byte reading.
 */

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const URL_SAFE = `${STANDARD.slice(0, 62)}-_`

function lookup(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1)
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i
  return table
}

const STANDARD_LOOKUP = lookup(STANDARD)
const URL_SAFE_LOOKUP = lookup(URL_SAFE)

/** The character for the low six bits of `n`. */
const symbol = (alphabet: string, n: number): string => alphabet.charAt(n & 63)

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    // a short last group: the missing bytes read as zeros, their symbols are padding or nothing
    const left = bytes.length - i
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    out +=
      symbol(alphabet, n >> 18) +
      symbol(alphabet, n >> 12) +
      (left > 1 ? symbol(alphabet, n >> 6) : pad ? '=' : '') +
      (left > 2 ? symbol(alphabet, n) : pad ? '=' : '')
  }
  return out
}

/** Decodes unpadded symbols; `undefined` on a foreign character, bad length or stray bits. */
function decode(text: string, table: Int16Array): Uint8Array | undefined {
  const len = text.length
  if (len % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((len * 3) / 4))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? (table[c] as number) : -1
    if (v < 0) return undefined
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  // Leftover bits must be zero: otherwise two texts would decode to the same bytes.
  return (acc & ((1 << bits) - 1)) === 0 ? out : undefined
}

/** Standard base64 with `=` padding (AppEngine's binaryblob form, spec §5). */
export function base64Encode(bytes: Uint8Array): string {
  return encode(bytes, STANDARD, true)
}

/** Strict standard base64 with padding; `undefined` when `text` is not canonical base64. */
export function base64Decode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const body = text.slice(0, text.length - padding)
  return decode(body, STANDARD_LOOKUP)
}

/** URL-safe base64 without padding (device ids, spec §4.4). */
export function base64UrlEncode(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE, false)
}

/** Strict URL-safe unpadded base64; `undefined` when `text` is not canonical. */
export function base64UrlDecode(text: string): Uint8Array | undefined {
  return decode(text, URL_SAFE_LOOKUP)
}
