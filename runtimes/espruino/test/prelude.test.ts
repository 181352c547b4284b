/**
 * The prelude's stand-ins behave as the built-ins they replace on Espruino: run in a fresh
 * context whose `Date.UTC`, `Map` and `Set` are removed, checked against Node's own.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { createContext, runInContext } from 'node:vm'
import fc from 'fast-check'

interface Prelude {
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
const context = runInContext('({ Date: Date, Map: Map, Set: Set })', sandbox) as Prelude
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
