/**
 * @module chars: character tests that regexes would make, for the regexes Espruino's RegExp can't
 * run (its `\s` is ASCII only, it has no `\u` escape); `isSpaceCode` as sdk-core's
 * `value/space.ts`. By char code: on an engine whose strings are 8-bit, a code above 255 never
 * occurs, so nothing is mistaken for one.
 */

/** Whether the char code is one of JavaScript's `\s` (white space and line terminators). */
export function isSpaceCode(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  )
}

/** Whether the char code ends a line: what `.` doesn't match. */
export function isLineEndCode(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029
}

/** Whether `s` holds a line end from `from` on (so `.*$` can't match there). */
export function hasLineEnd(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) if (isLineEndCode(s.charCodeAt(i))) return true
  return false
}

/** Whether the char at `i` is an ASCII digit (`\d`); false past the end. */
export function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  return c >= 48 && c <= 57
}
