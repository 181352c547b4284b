/**
 * @module date-time parts (Espruino): sdk-core's `value/date-time-parts.ts` read by hand, swapped
 * in by the Espruino build: its regex needs `?` and `{m,n}`, which Espruino's RegExp lacks.
 * Proven equal to it by `test/regex-rewrites.test.ts` (fast-check, the regex as the oracle).
 */
import { isDigitAt, isSpaceCode } from './chars.js'

/** `n` digits at `at`, or `undefined`. */
function digits(s: string, at: number, n: number): string | undefined {
  for (let i = at; i < at + n; i++) if (!isDigitAt(s, i)) return undefined
  return s.slice(at, at + n)
}

/**
 * What this regex's `exec` gives (groups 1-12, `undefined` when it doesn't match):
 * `^(\d{4}|[+-]\d{6})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(\s*)([Zz]|[+-](\d{2}):?(\d{2}))?$`.
 * Years: four digits, or the six-digit signed form `toISOString` writes outside 0000–9999.
 * Groups: 1-3 date, 4 separator, 5-8 time and fraction, 9 space before the zone, 10-12 zone.
 * Read by hand (each part has one way to match): Espruino's RegExp has no `?` or `{m,n}`.
 */
export function dateTimeParts(s: string): (string | undefined)[] | undefined {
  const signed = s.charAt(0) === '+' || s.charAt(0) === '-'
  const year = signed
    ? digits(s, 1, 6) === undefined
      ? undefined
      : s.slice(0, 7)
    : digits(s, 0, 4)
  if (year === undefined) return undefined
  let at = year.length
  const two = (before: string): string | undefined => {
    if (s.charAt(at) !== before) return undefined
    const d = digits(s, at + 1, 2)
    if (d !== undefined) at += 3
    return d
  }
  const month = two('-')
  const day = month === undefined ? undefined : two('-')
  const sep = s.charAt(at)
  if (day === undefined || (sep !== 'T' && sep !== 't' && sep !== ' ')) return undefined
  at++
  const hour = digits(s, at, 2)
  if (hour === undefined) return undefined
  at += 2
  const minute = two(':')
  if (minute === undefined) return undefined
  let second: string | undefined
  let fraction: string | undefined
  if (s.charAt(at) === ':') {
    second = two(':')
    if (second === undefined) return undefined
    if (s.charAt(at) === '.') {
      let end = at + 1
      while (isDigitAt(s, end)) end++
      if (end === at + 1 || end > at + 10) return undefined
      fraction = s.slice(at + 1, end)
      at = end
    }
  }
  const spaceFrom = at
  while (at < s.length && isSpaceCode(s.charCodeAt(at))) at++
  const space = s.slice(spaceFrom, at)
  let zone: string | undefined
  let zoneHours: string | undefined
  let zoneMinutes: string | undefined
  const z = s.charAt(at)
  if (z === 'Z' || z === 'z') {
    zone = z
    at++
  } else if (z === '+' || z === '-') {
    const from = at
    zoneHours = digits(s, at + 1, 2)
    if (zoneHours === undefined) return undefined
    at += 3
    if (s.charAt(at) === ':') at++
    zoneMinutes = digits(s, at, 2)
    if (zoneMinutes === undefined) return undefined
    at += 2
    zone = s.slice(from, at)
  }
  if (at !== s.length) return undefined
  return [
    s,
    year,
    month,
    day,
    sep,
    hour,
    minute,
    second,
    fraction,
    space,
    zone,
    zoneHours,
    zoneMinutes,
  ]
}
