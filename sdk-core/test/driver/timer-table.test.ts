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
  assert.equal(fired, 0, 'the hops re-arm instead of firing')
  assert.equal(table.size, 1)
  now = 40 * day
  t.mock.timers.tick(40 * day - max)
  assert.equal(fired, 1)
  assert.equal(table.size, 0)
})

test('a far deadline moves with the clock: set forward by NTP after boot, fired within the hour', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const hour = 3_600_000
  const day = 24 * hour
  // booted with the time of its image, 30 days behind: a renewal due 40 days ahead by that clock
  // is due 10 days after boot
  const stale = 1_700_000_000_000
  let now = stale
  const table = new TimerTable<string>(hostTimers, { now: () => now })
  let fired = 0
  table.set('renewal', stale + 40 * day, () => fired++)
  // NTP answers 10 minutes after boot
  now = stale + 30 * day + 10 * 60_000
  t.mock.timers.tick(10 * 60_000)
  for (let elapsed = 10 * 60_000; elapsed < 10 * day - hour; elapsed += hour) {
    now += hour
    t.mock.timers.tick(hour)
  }
  assert.equal(fired, 0, 'not before its deadline')
  now += 2 * hour
  t.mock.timers.tick(2 * hour)
  assert.equal(fired, 1, 'at most an hour after its deadline, not weeks')
})

test('a far deadline moves with the clock set back: never fired before it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const hour = 3_600_000
  const day = 24 * hour
  // booted 20 days ahead; the deadline, 5 days ahead by that clock, is 25 days away in real time
  let now = 1_700_000_000_000
  const table = new TimerTable<string>(hostTimers, { now: () => now })
  let fired = 0
  const due = now + 5 * day
  table.set('renewal', due, () => fired++)
  now -= 20 * day
  for (let i = 0; i < 25 * 24 - 1; i++) {
    now += hour
    t.mock.timers.tick(hour)
    assert.equal(fired, 0, `fired ${now - due} ms early`)
  }
  now += hour
  t.mock.timers.tick(hour)
  assert.equal(fired, 1)
})
