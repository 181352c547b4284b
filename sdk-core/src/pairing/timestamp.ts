/**
 * @module pairing timestamp: lenient reading of Pairing's verify timestamps, which are strings
 * `YYYY-MM-DD HH:MM:SS.mmmZ` with a space although the OpenAPI schema says integer (spec §4.3.5).
 */

const TIMESTAMP = new RegExp(
  [
    '^(\\d{4})-(\\d{2})-(\\d{2})', // date
    '[ T](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?', // time, seconds and fraction optional
    '\\s*(Z|[+-]\\d{2}:?\\d{2})?$', // zone, UTC when absent
  ].join(''),
  'i',
)

/**
 * Milliseconds since the epoch, or `undefined` when the text is not a date-time. A `T`
 * separator, missing seconds or fraction, and numeric offsets are accepted; no zone means UTC.
 */
export function parsePairingTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text.trim())
  if (m === null) return undefined
  const field = (i: number): number => Number(m[i] ?? 0)
  const fields = [field(1), field(2) - 1, field(3), field(4), field(5), field(6)] as const
  const ms = Number(`${m[7] ?? ''}000`.slice(0, 3))
  const local = Date.UTC(...fields, ms)
  const d = new Date(local)
  const back = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()]
  // Date.UTC rolls over (Feb 30 → Mar 2): a field that changed means the text was not a date
  if ([...back, d.getUTCMinutes(), d.getUTCSeconds()].some((v, i) => v !== fields[i])) {
    return undefined
  }
  return local - offsetMs(m[8])
}

function offsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0
  const digits = zone.replace(':', '')
  const sign = digits.startsWith('-') ? -1 : 1
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000
}
