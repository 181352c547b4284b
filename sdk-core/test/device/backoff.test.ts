import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { DeviceState } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'
import { harness } from './harness.js'
import type { Harness } from './harness.js'

const backoff = { minMs: 1_000, maxMs: 8_000 }

function backoffState(h: Harness): Extract<DeviceState, { tag: 'backoff' }> {
  const s = h.machine.state
  assert.equal(s.tag, 'backoff')
  return s as Extract<DeviceState, { tag: 'backoff' }>
}

/** The backoff delays while `refused` connection attempts fail; the device is online after. */
function delays(h: Harness, refused: number): number[] {
  const out: number[] = []
  h.lb.refuse = { count: refused, certificateRejected: false }
  const record = (): void => {
    const s = backoffState(h)
    out.push(s.atMs - h.lb.clock.now())
    assert.equal(h.lb.clock.timerAt(s.timerId), s.atMs)
  }
  h.lb.feed({ type: 'start' })
  while (h.machine.state.tag === 'backoff') {
    record()
    // fire only this timer: a zero delay set while advancing would fire in the same advance
    const { timerId } = backoffState(h)
    h.lb.clock.cancel(timerId)
    h.lb.advance(backoffState(h).atMs - h.lb.clock.now())
    h.lb.feed({ type: 'timer', timerId })
  }
  assert.equal(h.machine.state.tag, 'online')
  return out
}

test('full jitter: each delay lies in [0, min(max, min·2^attempt))', () => {
  const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
  fc.assert(
    fc.property(fc.array(unit, { minLength: 8, maxLength: 8 }), (rs) => {
      let i = 0
      const h = harness({ backoff, random: () => rs[i++ % rs.length] as number })
      delays(h, 8).forEach((d, attempt) => {
        assert.ok(
          d >= 0 && d < Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt),
          `attempt ${attempt}: ${d}`,
        )
      })
    }),
    { ...fcOptions, numRuns: Math.ceil(fcOptions.numRuns / 100) },
  )
})

test('the ceiling doubles up to maxMs; random 0 reconnects at once', () => {
  const high = delays(harness({ backoff, random: () => 0.9999 }), 6)
  assert.deepEqual(
    high.map((d) => Math.round(d / 1000)),
    [1, 2, 4, 8, 8, 8],
  )
  assert.deepEqual(delays(harness({ backoff, random: () => 0 }), 3), [0, 0, 0])
})

test('a connection stable for stableAfterMs resets the backoff', () => {
  const h = harness({ backoff, random: () => 0.9999, stableAfterMs: 60_000 })
  delays(h, 4)
  assert.equal(h.machine.state.tag, 'online')
  h.lb.advance(30_000)
  h.lb.dropConnection()
  const beforeStable = backoffState(h).atMs - h.lb.clock.now()
  assert.ok(beforeStable > 4_000, 'a short connection keeps the grown delay')
  h.lb.advance(backoff.maxMs)
  h.lb.advance(60_000)
  h.lb.dropConnection()
  assert.ok(backoffState(h).atMs - h.lb.clock.now() < backoff.minMs)
  assert.equal(h.machine.metrics().reconnects, 1, 'refused attempts are not reconnections')
})

test('a refused certificate without pairing configured backs off like any failure', () => {
  const h = harness({ backoff })
  h.lb.refuse = { count: 1, certificateRejected: true }
  h.lb.feed({ type: 'start' })
  assert.equal(h.machine.state.tag, 'backoff')
  assert.equal(h.machine.metrics().lastError?.code, 'remote.connect_refused')
  assert.equal(h.lb.eventsOf('warning').length, 1)
})

test('stop cancels the backoff timer and ends in idle', () => {
  const h = harness({ backoff })
  h.lb.refuse = { count: 1, certificateRejected: false }
  h.lb.feed({ type: 'start' })
  const { timerId } = backoffState(h)
  h.lb.feed({ type: 'stop' })
  assert.equal(h.machine.state.tag, 'idle')
  assert.equal(h.lb.clock.timerAt(timerId), undefined)
})
