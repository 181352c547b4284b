/**
 * Date-times near sdk-core's grammar, for the checks of the date-time reader: well-formed ones
 * with pieces changed (years in both forms, each separator, seconds and fractions of every length,
 * space before the zone, zones well and badly formed).
 */
import fc from 'fast-check'

/** `n` ASCII digits. */
export const digits = (n: number): fc.Arbitrary<string> =>
  fc.stringMatching(new RegExp(`^[0-9]{${n}}$`))

export const nearDateTimes: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('2024', '+002024', '-000001', '999', '1970'),
    digits(2),
    digits(2),
    fc.constantFrom('T', 't', ' ', '_'),
    digits(2),
    digits(2),
    fc.constantFrom(
      '',
      ':00',
      ':59',
      ':5',
      ':00.1',
      ':00.05',
      ':00.123456789',
      ':00.1234567890',
      ':00.'
    ),
    fc.constantFrom('', ' ', '  ', '\u2003', '\u00a0', '\n', '\t'),
    fc.constantFrom('', 'Z', 'z', '+02:00', '-0530', '+02:0', '+2:00', '+02:', 'Zx')
  )
  .map(([y, mo, d, t, h, mi, s, sp, z]) => `${y}-${mo}-${d}${t}${h}:${mi}${s}${sp}${z}`)
