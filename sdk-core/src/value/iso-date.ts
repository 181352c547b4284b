/**
 * @module iso date: strict ISO 8601 / RFC 3339 date-times with a UTC offset, as AppEngine reads
 * them (spec §5): `2024-05-01T12:00:00Z`, `2024-05-01 12:00:00.123+02:00`. No clock reads.
 */

// Years: four digits, or the six-digit signed form `toISOString` writes outside 0000–9999.
const ISO = new RegExp(
  '^(\\d{4}|[+-]\\d{6})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})' +
    '(?:\\.(\\d{1,9}))?(Z|z|[+-](\\d{2}):?(\\d{2}))$',
)

/** The instant `text` names, or `undefined` when it is not a valid ISO 8601 date-time. */
export function parseIsoDate(text: string): Date | undefined {
  const m = ISO.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3))
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined
  }
  // Date.UTC maps years 0–99 to 1900–1999, so the year is set separately.
  const at = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms))
  at.setUTCFullYear(year, month - 1, day)
  // setUTCFullYear rolls 31 April over to 1 May; a changed day means the day did not exist.
  if (at.getUTCDate() !== day) return undefined
  const utc = at.getTime()
  const zone = m[8] as string
  const offset =
    zone === 'Z' || zone === 'z'
      ? 0
      : (zone[0] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60000
  const date = new Date(utc - offset)
  return Number.isNaN(date.getTime()) ? undefined : date
}
