/**
 * The prelude's stand-ins behave as the built-ins they replace on Espruino: run in a fresh
 * context whose `Date.UTC`, `Map` and `Set` are removed, checked against Node's own. `__R` (the
 * matcher for regexes beyond Espruino's RegExp) agrees with RegExp on the core's patterns.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { createContext, runInContext } from 'node:vm'
import fc from 'fast-check'

interface Prelude {
  __R(source: string, flags: string): { test(s: string): boolean; exec(s: string): unknown }
  Date: DateConstructor
  Map: MapConstructor
  Set: SetConstructor
}

const source = readFileSync(new URL('../src/prelude.js', import.meta.url), 'utf8')
const sandbox = createContext({})
runInContext(
  'delete Date.UTC; delete this.Map; delete this.Set; this.require = function () {}',
  sandbox,
)
runInContext(source, sandbox)
const context = runInContext('({ __R: __R, Date: Date, Map: Map, Set: Set })', sandbox) as Prelude
/** A value of the context's realm as one of ours (strict deep equality compares prototypes). */
const here = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

test('Date.UTC and setUTCFullYear as the engine computes them, across five centuries', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1800, max: 2300 }),
      fc.integer({ min: 0, max: 11 }),
      fc.integer({ min: 1, max: 31 }),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }),
      (y, mo, d, h, mi, s) => {
        assert.equal(context.Date.UTC(y, mo, d, h, mi, s), Date.UTC(y, mo, d, h, mi, s))
        const ours = new context.Date(Date.UTC(2000, 0, 1, h, mi, s))
        const theirs = new Date(Date.UTC(2000, 0, 1, h, mi, s))
        assert.equal(ours.setUTCFullYear(y, mo, d), theirs.setUTCFullYear(y, mo, d))
      },
    ),
  )
})

test('Map and Set: insertion order, overwrite, delete, size, iteration as arrays', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 9 }), fc.string())),
      (ops) => {
        const ours = new context.Map<number, string>()
        const theirs = new Map<number, string>()
        const ourSet = new context.Set<number>()
        const theirSet = new Set<number>()
        for (const [del, k, v] of ops) {
          if (del) {
            assert.equal(ours.delete(k), theirs.delete(k))
            ourSet.delete(k)
            theirSet.delete(k)
          } else {
            ours.set(k, v)
            theirs.set(k, v)
            ourSet.add(k)
            theirSet.add(k)
          }
          assert.equal(ours.size, theirs.size)
          assert.equal(ourSet.size, theirSet.size)
        }
        assert.deepEqual(here(ours.entries()), [...theirs.entries()])
        assert.deepEqual(here(ourSet.values()), [...theirSet.values()])
        for (const k of theirs.keys()) assert.equal(ours.get(k), theirs.get(k))
      },
    ),
  )
})

// the core's patterns that the build hands to __R, and strings near what they accept
const PATTERNS: [string, string, fc.Arbitrary<string>][] = [
  ['^[a-z][a-z0-9]{0,47}$', '', fc.stringMatching(/^[a-z0-9A-]{0,50}$/)],
  ['^-?(0|[1-9][0-9]{0,18})$', '', fc.stringMatching(/^-?[0-9]{0,21}$/)],
  ['^[+-]?[0-9]+$', '', fc.stringMatching(/^[-+0-9a]{0,6}$/)],
  ['[+#\\u0000]', '', fc.string({ maxLength: 8 })],
  ['^https?:\\/\\/[^/?#\\s]+', 'i', fc.stringMatching(/^(HTTP|https?|ftp):\/\/[a-z./?# ]{0,8}$/)],
  [
    '^([a-zA-Z][a-zA-Z0-9]*\\.([a-zA-Z0-9][a-zA-Z0-9-]*\\.)*)?[a-zA-Z][a-zA-Z0-9]*$',
    '',
    fc.stringMatching(/^[a-zA-Z0-9.-]{0,16}$/),
  ],
  [
    '^(https?:)\\/\\/([^/:]+)(?::(\\d+))?(\\/.*)?$',
    '',
    fc.stringMatching(/^https?:\/\/[a-z.]{1,5}(:[0-9]{0,4})?(\/[a-z/]{0,4})?$/),
  ],
  [
    '^(\\d{4}|[+-]\\d{6})-(\\d{2})-(\\d{2})([Tt ])(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?(\\s*)([Zz]|[+-](\\d{2}):?(\\d{2}))?$',
    '',
    fc
      .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
      .chain((d) =>
        fc.constantFrom(
          d.toISOString(),
          d.toISOString().replace('Z', '+02:00'),
          d.toISOString().slice(0, 19),
        ),
      ),
  ],
  [
    '^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(\\[[0-9a-f:.]+\\]|[^:/?#[\\]]+)(?::(\\d*))?(?:[/?#].*)?$',
    'i',
    fc.stringMatching(/^mqtts?:\/\/(u@)?(\[::1\]|[a-z.]{1,6})(:[0-9]{0,5})?(\/[a-z]{0,3})?$/),
  ],
]

test('__R matches, and captures, as RegExp does on the core patterns', () => {
  for (const [pattern, flags, strings] of PATTERNS) {
    const ours = context.__R(pattern, flags)
    const native = new RegExp(pattern, flags)
    fc.assert(
      fc.property(fc.oneof(strings, fc.string({ maxLength: 12 })), (s) => {
        const got = ours.exec(s) as (string | undefined)[] | null
        const want = native.exec(s)
        assert.deepEqual(
          got === null ? null : [...got],
          want === null ? null : [...want],
          `${pattern} on ${JSON.stringify(s)}`,
        )
      }),
      { numRuns: 500 },
    )
  }
})
