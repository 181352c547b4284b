/**
 * @module date-time parts: the ISO 8601 / RFC 3339 grammar of `iso-date.ts` as one regex, alone
 * in its module so that a runtime whose RegExp can't run it swaps in its own (Espruino's build).
 */

// Years: four digits, or the six-digit signed form `toISOString` writes outside 0000–9999.
// Groups: 1-3 date, 4 separator, 5-8 time and fraction, 9 space before the zone, 10-12 zone.
const DATE_TIME = new RegExp(
  '^(\\d{4}|[+-]\\d{6})-(\\d{2})-(\\d{2})([Tt ])(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?' +
    '(\\s*)([Zz]|[+-](\\d{2}):?(\\d{2}))?$',
)

/** The regex's groups (index 1-12) on `s`, `undefined` when it doesn't match. */
export function dateTimeParts(s: string): (string | undefined)[] | undefined {
  return DATE_TIME.exec(s) ?? undefined
}
