/**
 * `AscendingIdMap` behaves as a `Map` for every sequence of operations, whatever order ids come
 * back in, and its window stays proportional to the live entries when stragglers hold it open.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { AscendingIdMap, SdkError } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'

const MIN_SPAN = 64

// What an issuer does: hand out the next id (now and then after a jump, as when an id is spent
// elsewhere), settle a live id (mostly the oldest), bring back an old id (a resumed publish),
// look up any id.
type Op =
  | { readonly op: 'issue'; readonly skip: number }
  | { readonly op: 'settle'; readonly pick: number; readonly oldest: boolean }
  | { readonly op: 'revive'; readonly back: number }
  | { readonly op: 'get'; readonly id: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('issue' as const),
      skip: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, fc.nat(300)),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('settle' as const),
      pick: fc.nat(),
      oldest: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revive' as const), back: fc.nat(500) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), id: fc.nat(5000) }) },
)

test('AscendingIdMap answers as a Map over random issue/settle sequences', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
      const map = new AscendingIdMap<{ id: number }>()
      const model = new Map<number, { id: number }>()
      let next = 0
      for (const o of ops) {
        switch (o.op) {
          case 'issue': {
            next += o.skip
            const value = { id: next }
            map.set(next, value)
            model.set(next, value)
            next++
            break
          }
          case 'settle': {
            const live = [...model.keys()].sort((a, b) => a - b)
            const id =
              live.length === 0 ? o.pick : o.oldest ? live[0]! : live[o.pick % live.length]!
            assert.equal(map.delete(id), model.delete(id), `delete ${id}`)
            assert.ok(
              map.windowSpan <= Math.max(MIN_SPAN, 2 * map.size),
              `window of ${map.windowSpan} slots for ${map.size} entries`,
            )
            break
          }
          case 'revive': {
            const id = Math.max(0, next - 1 - o.back)
            const value = { id: -id }
            map.set(id, value)
            model.set(id, value)
            break
          }
          case 'get':
            assert.equal(map.get(o.id), model.get(o.id), `get ${o.id}`)
            break
        }
        assert.equal(map.size, model.size)
      }
      const byId = (a: [number, unknown], b: [number, unknown]) => a[0] - b[0]
      assert.deepEqual(map.entries().sort(byId), [...model.entries()].sort(byId))
      for (const [id, value] of model) assert.equal(map.get(id), value)
    }),
    { ...fcOptions, numRuns: Math.ceil(fcOptions.numRuns / 10) },
  )
})

test('old stragglers do not hold the window open: it stays bounded, they stay reachable', () => {
  const map = new AscendingIdMap<string>()
  for (let id = 0; id < 10; id++) map.set(id, `straggler ${id}`)
  for (let id = 10; id < 100_000; id++) {
    map.set(id, 'quick')
    assert.equal(map.delete(id), true)
  }
  assert.equal(map.size, 10)
  assert.ok(map.windowSpan <= MIN_SPAN, `window of ${map.windowSpan} slots`)
  for (let id = 0; id < 10; id++) assert.equal(map.get(id), `straggler ${id}`)
  assert.deepEqual(
    map.entries().map(([id]) => id),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  )
})

test('an id far ahead does not fill the gap with holes', () => {
  const map = new AscendingIdMap<string>()
  map.set(0, 'first')
  map.set(10_000_000, 'far')
  assert.ok(map.windowSpan <= 1, `window of ${map.windowSpan} slots`)
  assert.equal(map.get(0), 'first')
  assert.equal(map.get(10_000_000), 'far')
  assert.deepEqual(map.values(), ['first', 'far'])
})

test('set refuses ids that are not non-negative safe integers', () => {
  const map = new AscendingIdMap<string>()
  for (const id of [-1, 1.5, Number.NaN, 2 ** 53]) {
    assert.throws(
      () => map.set(id, 'x'),
      (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_argument',
      `id ${id}`,
    )
  }
  assert.equal(map.size, 0)
})

test('clear empties it, and ids can start again anywhere', () => {
  const map = new AscendingIdMap<string>()
  for (let id = 5; id < 50; id++) map.set(id, String(id))
  map.delete(5)
  map.clear()
  assert.equal(map.size, 0)
  assert.deepEqual(map.entries(), [])
  map.set(3, 'three')
  assert.equal(map.get(3), 'three')
  assert.equal(map.get(6), undefined)
})
