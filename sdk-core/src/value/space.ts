/**
 * @module space: JavaScript's `\s` as a test of one char code, for checks that Espruino's RegExp
 * can't make (its `\s` is ASCII only). On an engine whose strings are 8-bit, a code above 255
 * never occurs, so nothing is mistaken for one.
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
