import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TimerTable } from '../../src/driver/timer-table.js'

// Node's timers as the driver's `Timers` port, read at call time so that `mock.timers` applies
const hostTimers = {
  set: (fn: () => void, delayMs: number): unknown => setTimeout(fn, delayMs),
  clear: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

test('timers fire once at their deadline; setting an id again replaces it; cancel stops it', (t) => {
  // mocked timers and clock: which fires first must not depend on how busy the machine is
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let now = 1_000_000
  const table = new TimerTable<string>(hostTimers, { now: () => now })
  const fired: string[] = []
  const advance = (ms: number): void => {
    now += ms
    t.mock.timers.tick(ms)
  }
  const t0 = now
  table.set('a', t0 + 30, () => fired.push('a-old'))
  table.set('a', t0 + 20, () => fired.push('a'))
  table.set('b', t0 + 10, () => fired.push('b'))
  table.set('c', t0 + 10, () => fired.push('c'))
  table.cancel('c')
  table.set('past', t0 - 1000, () => fired.push('past'))
  advance(1)
  assert.deepEqual(fired, ['past'], 'a deadline already past fires at once')
  advance(8)
  assert.deepEqual(fired, ['past'], 'nothing before its deadline')
  advance(1)
  assert.deepEqual(fired, ['past', 'b'])
  advance(10)
  assert.deepEqual(fired, ['past', 'b', 'a'])
  // the replaced 30 ms deadline must not fire either
  advance(20)
  assert.deepEqual(fired, ['past', 'b', 'a'])
  assert.equal(table.size, 0)
})

test('deadlines beyond setTimeout range are reached in hops, not fired early', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let now = 0
  const table = new TimerTable<number>(hostTimers, { now: () => now })
  let fired = 0
  const day = 86_400_000
  const max = 2_147_483_647
  table.set(1, 40 * day, () => fired++)
  now += max
  t.mock.timers.tick(max)
  assert.equal(fired, 0, 'the first hop re-arms instead of firing')
  assert.equal(table.size, 1)
  now = 40 * day
  t.mock.timers.tick(40 * day - max)
  assert.equal(fired, 1)
  assert.equal(table.size, 0)
})
