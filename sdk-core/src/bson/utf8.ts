/**
 * @module utf8: strict UTF-8 over `Uint8Array` without TextEncoder/TextDecoder (not in the ES2020
 * lib, absent on small engines). Decoding rejects overlongs, surrogates and code points above
 * U+10FFFF, as Astarte's decoder does (spec §2.1); encoding turns lone surrogates into U+FFFD.
 */

/** Number of bytes `s` takes in UTF-8. */
export function utf8Length(s: string): number {
  let n = 0
  const len = s.length
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        n += 4
      } else n += 3
    } else n += 3
  }
  return n
}

/** Writes `s` as UTF-8 at `offset` (the caller sized `out` with `utf8Length`); returns the end. */
export function utf8Write(out: Uint8Array, offset: number, s: string): number {
  let o = offset
  const len = s.length
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      out[o++] = c
      continue
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6)
      out[o++] = 0x80 | (c & 0x3f)
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        i++
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
        out[o++] = 0xf0 | (c >> 18)
        out[o++] = 0x80 | ((c >> 12) & 0x3f)
        out[o++] = 0x80 | ((c >> 6) & 0x3f)
        out[o++] = 0x80 | (c & 0x3f)
        continue
      }
      c = 0xfffd
    }
    out[o++] = 0xe0 | (c >> 12)
    out[o++] = 0x80 | ((c >> 6) & 0x3f)
    out[o++] = 0x80 | (c & 0x3f)
  }
  return o
}

/** UTF-8 bytes of `s` in a new array. */
export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s))
  utf8Write(out, 0, s)
  return out
}

/**
 * Code units per `String.fromCharCode.apply`. XS pushes every argument on its stack, whose size
 * an app sets (runtimes/moddable's manifest: 1024 slots, some 630 in use on the deepest paths);
 * past it XS aborts. With 4096, a `stored` string value over about 3460 characters, decoded as
 * the queue is pumped, aborted the XS tests' engine (4096 slots) and over a few hundred would a
 * device.
 */
const CHUNK = 128
/** Up to this many bytes, building the string char by char beats `fromCharCode.apply`. */
const SHORT = 24
/** The smallest code point a sequence of 1 + index bytes may carry (shorter forms are overlong). */
const SHORTEST = [0, 0x80, 0x800, 0x10000]

/**
 * Decodes `bytes[start, end)`; `undefined` when the bytes are not well-formed UTF-8 (overlong
 * forms, surrogate code points, truncated sequences, values above U+10FFFF).
 */
export function utf8Read(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= SHORT) {
    let s = ''
    for (let i = start; i < end; i++) {
      const b = bytes[i] as number
      if (b >= 0x80) return utf8ReadGeneral(bytes, start, end)
      s += String.fromCharCode(b)
    }
    return s
  }
  return utf8ReadGeneral(bytes, start, end)
}

function utf8ReadGeneral(bytes: Uint8Array, start: number, end: number): string | undefined {
  let ascii = true
  for (let i = start; i < end; i++) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false
      break
    }
  }
  if (ascii && end - start <= CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[])
  }
  let out = ''
  const units: number[] = []
  let i = start
  while (i < end) {
    const b0 = bytes[i++] as number
    // continuation bytes after the lead byte; -1 for a byte that starts no sequence (0x80..0xc1
    // are continuations or overlong 2-byte leads, 0xf5.. lead above U+10FFFF)
    const n = b0 < 0x80 ? 0 : b0 < 0xc2 ? -1 : b0 < 0xe0 ? 1 : b0 < 0xf0 ? 2 : b0 < 0xf5 ? 3 : -1
    if (n < 0 || i + n > end) return undefined
    let cp = n === 0 ? b0 : b0 & (0x3f >> n)
    for (const stop = i + n; i < stop; i++) {
      const b = bytes[i] as number
      if ((b & 0xc0) !== 0x80) return undefined
      cp = (cp << 6) | (b & 0x3f)
    }
    // overlong, a UTF-16 surrogate (U+D800..U+DFFF) encoded directly, or above U+10FFFF
    if (cp < (SHORTEST[n] as number) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return undefined
    }
    if (cp >= 0x10000) {
      cp -= 0x10000
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff))
    } else units.push(cp)
    if (units.length >= CHUNK) {
      out += String.fromCharCode.apply(null, units)
      // splice, not `length = 0`: Espruino refuses to shrink an array that way
      units.splice(0)
    }
  }
  return units.length > 0 ? out + String.fromCharCode.apply(null, units) : out
}

/**
 * An unpaired UTF-16 surrogate has no UTF-8 form. A loop, not a lookbehind regex: some small
 * engines (Espruino) lack lookbehind.
 */
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0xd800 || unit > 0xdfff) continue
    const next = text.charCodeAt(i + 1)
    if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true
    i++
  }
  return false
}
