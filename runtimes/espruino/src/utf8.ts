/**
 * @module utf8: sdk-core's `bson/utf8.ts` as Espruino needs it (the build swaps it in). Espruino's
 * ESP32 builds have 8-bit strings (no `ESPR_UNICODE_SUPPORT`): a string is bytes, and text is
 * its UTF-8 bytes, one character each. A literal `"é€"` in the program is the five characters
 * C3 A9 E2 82 AC, and no character above U+00FF can be made (`String.fromCharCode(0x20ac)` is
 * `"\xac"`). Encoding such a string as UTF-16 text would send `"Ã©â\x82¬"` (seen on a real
 * Espruino): here a string goes on the wire byte for byte, once checked to be well-formed UTF-8
 * (what Astarte's decoder accepts, spec §2.1), and a received string keeps its UTF-8 bytes.
 */

/** Bytes `s` takes on the wire: one a character. */
export function utf8Length(s: string): number {
  return s.length
}

/** Writes the bytes of `s` at `offset` (the caller checked it with {@link hasLoneSurrogate}). */
export function utf8Write(out: Uint8Array, offset: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[offset++] = s.charCodeAt(i)
  return offset
}

/** The bytes of `s` in a new array. */
export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  utf8Write(out, 0, s)
  return out
}

/**
 * Whether the units `at(start)` … `at(end - 1)` are well-formed UTF-8, as sdk-core's decoder
 * requires: no overlong form, no surrogate code point, nothing above U+10FFFF, nothing
 * truncated. A unit above 0xFF (an engine with wide strings) is not a byte: never well-formed.
 */
function isUtf8(at: (i: number) => number, start: number, end: number): boolean {
  for (let i = start; i < end;) {
    const b = at(i)
    const n = b < 0x80 ? 1 : b < 0xc2 ? 0 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 0
    if (n === 0 || i + n > end) return false
    for (let k = 1; k < n; k++) if (at(i + k) >> 6 !== 2) return false
    // the second byte's range that excludes overlongs (E0, F0), surrogates (ED), > U+10FFFF (F4)
    const second = at(i + 1)
    if (
      (b === 0xe0 && second < 0xa0) ||
      (b === 0xed && second > 0x9f) ||
      (b === 0xf0 && second < 0x90) ||
      (b === 0xf4 && second > 0x8f)
    ) {
      return false
    }
    i += n
  }
  return true
}

/**
 * Decodes `bytes[start, end)` into a string of those bytes; `undefined` when they are not
 * well-formed UTF-8.
 */
export function utf8Read(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (!isUtf8((i) => bytes[i] as number, start, end)) return undefined
  let s = ''
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] as number)
  return s
}

/**
 * Whether `text` can't go on the wire as it is: sdk-core's name for a string with no UTF-8 form;
 * on 8-bit strings, bytes that are not well-formed UTF-8.
 */
export function hasLoneSurrogate(text: string): boolean {
  return !isUtf8((i) => text.charCodeAt(i), 0, text.length)
}
