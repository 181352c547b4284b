/**
 * @module iso date: ISO 8601 / RFC 3339 date-times. Strictly, as AppEngine reads them (spec §5):
 * `2024-05-01T12:00:00Z`, `2024-05-01 12:00:00.123+02:00`. Leniently, as Pairing writes its
 * verify timestamps (spec §4.3.5): `2025-03-25 19:25:00.000Z`, seconds and zone optional. One
 * grammar serves both; no clock reads.
 */
import { dateTimeParts } from './date-time-parts.js'

const decimal = (digits: string | undefined): number => parseInt(digits ?? '0', 10)

/**
 * Milliseconds since the epoch `text` names, or `undefined` when it is not a valid date-time.
 * `lenient` also takes surrounding and pre-zone spaces, a lower-case `t`, missing seconds, and
 * no zone (UTC).
 */
export function parseDateTime(text: string, lenient = false): number | undefined {
  const m = dateTimeParts(lenient ? text.trim() : text)
  if (m === undefined) return undefined
  if (!lenient && (m[4] === 't' || m[7] === undefined || m[9] !== '' || m[10] === undefined)) {
    return undefined
  }
  // parseInt(…, 10), not Number: Espruino's Number reads a leading 0 as octal (`0010`, `.050`)
  const [year, month, day, , hour, minute, second] = m.slice(1, 8).map(decimal) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const ms = decimal(((m[8] ?? '') + '000').slice(0, 3))
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined
  }
  // Date.UTC maps years 0–99 to 1900–1999, so the year is set separately.
  const at = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms))
  at.setUTCFullYear(year, month - 1, day)
  // setUTCFullYear rolls 31 April over to 1 May; a changed day means the day did not exist.
  if (at.getUTCDate() !== day) return undefined
  const zone = m[10] ?? 'Z'
  const offset =
    zone === 'Z' || zone === 'z'
      ? 0
      : (zone[0] === '-' ? -1 : 1) * (decimal(m[11]) * 60 + decimal(m[12])) * 60000
  const utc = at.getTime() - offset
  return Number.isNaN(new Date(utc).getTime()) ? undefined : utc
}

/** The instant `text` names, or `undefined` when it is not a valid ISO 8601 date-time. */
export function parseIsoDate(text: string): Date | undefined {
  const utc = parseDateTime(text)
  return utc === undefined ? undefined : new Date(utc)
}
