import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TimerTable } from '../../src/device/timer-table.js'

test('timers fire once at their deadline; setting an id again replaces it; cancel stops it', async () => {
  const table = new TimerTable<string>()
  const fired: string[] = []
  const t0 = Date.now()
  let lastFired: () => void = () => undefined
  const last = new Promise<void>((resolve) => (lastFired = resolve))
  table.set('a', t0 + 30, () => fired.push('a-old'))
  table.set('a', t0 + 20, () => {
    fired.push('a')
    lastFired()
  })
  table.set('b', t0 + 10, () => fired.push('b'))
  table.set('c', t0 + 10, () => fired.push('c'))
  table.cancel('c')
  table.set('past', t0 - 1000, () => fired.push('past'))
  await last
  // the replaced 30 ms deadline must not fire either
  await new Promise((r) => setTimeout(r, 40))
  assert.deepEqual(fired, ['past', 'b', 'a'])
  assert.equal(table.size, 0)
})

test('deadlines beyond setTimeout range are reached in hops, not fired early', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let now = 0
  const table = new TimerTable<number>(() => now)
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
