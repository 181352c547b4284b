import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  type LinkTimers,
  ReceiveSequence,
  SendWindow,
  type SequencedMessage,
} from '../src/index.js'

/** Timers on a virtual clock: `run` fires them in time order. */
class VirtualTimers implements LinkTimers {
  now = 0
  private next = 0
  private readonly pending = new Map<number, { at: number; fn: () => void }>()
  set(fn: () => void, ms: number): unknown {
    const id = this.next++
    this.pending.set(id, { at: this.now + ms, fn })
    return id
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  /** Fires the earliest timer; false when none is left. */
  step(): boolean {
    let best: [number, { at: number; fn: () => void }] | undefined
    for (const e of this.pending) if (best === undefined || e[1].at < best[1].at) best = e
    if (best === undefined) return false
    this.pending.delete(best[0])
    this.now = best[1].at
    best[1].fn()
    return true
  }
}

/**
 * A sender and a receiver over a lossy line (each frame and each ACK lost with its own chance),
 * with session restarts in which the receiver keeps its state (a link reset) or loses it (a host
 * restart); the receiver stores each frame before acknowledging it.
 */
function run(
  count: number,
  seed: number,
  lossUp: number,
  lossDown: number,
  restarts: { at: number; hostLost: boolean }[],
) {
  const timers = new VirtualTimers()
  let state = seed | 1
  const lost = (p: number): boolean => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32 < p
  }
  const stored: number[] = []
  const acked: number[] = []
  let rx = new ReceiveSequence()
  const toReceiver = (m: SequencedMessage): void => {
    if (lost(lossUp)) return
    const v = rx.check(m.seq)
    if (v === 'ahead') return
    if (v === 'process') {
      rx.advance()
      stored.push(m.type === 'set' ? (m.value as number) : -1)
    }
    const ack = rx.last
    timers.set(() => {
      if (!lost(lossDown)) tx.settle(ack)
    }, 1)
  }
  const tx = new SendWindow({
    write: (m) => timers.set(() => toReceiver(m), 1),
    timers,
    onSettled: (m) => acked.push(m.type === 'set' ? (m.value as number) : -1),
    // A stalled link restarts the session as the MCU would.
    onStalled: () => session(false),
  })
  const session = (hostLost: boolean): void => {
    tx.pause()
    // A HELLO repeated before its answer pauses again: the frames keep their numbers.
    tx.pause()
    if (hostLost) rx = new ReceiveSequence(tx.oldestSeq)
    // HELLO_ACK: the receiver's expected seq.
    tx.resume(rx.expected, rx.expected)
  }
  session(false)
  for (let i = 0; i < count; i++)
    tx.send({ type: 'set', target: { mapping: 0, params: [] }, value: i })
  let steps = 0
  let r = 0
  while (timers.step()) {
    steps++
    while (r < restarts.length && restarts[r]!.at === steps) session(restarts[r++]!.hostLost)
    assert.ok(
      steps < 1_000_000,
      `no progress: stored ${stored.length}, acked ${acked.length}, pending ${tx.pending}, rx ${rx.expected}`,
    )
  }
  return { stored, acked, pending: tx.pending }
}

test('go-back-N over a lossy line with link resets: everything arrives once, in order; acknowledged means stored', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer(),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 5 }),
      (count, seed, lossUp, lossDown, resets) => {
        const { stored, acked, pending } = run(
          count,
          seed,
          lossUp,
          lossDown,
          resets.map((at) => ({ at, hostLost: false })),
        )
        assert.equal(pending, 0)
        assert.deepEqual(
          stored,
          Array.from({ length: count }, (_, i) => i),
        )
        assert.deepEqual(acked, stored)
      },
    ),
    { numRuns: 200 },
  )
})

test('a receiver that loses its state (host restart) gets every unacknowledged frame again: nothing lost', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.integer(),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 3 }),
      (count, seed, lossDown, restarts) => {
        const { stored, acked } = run(
          count,
          seed,
          0,
          lossDown,
          restarts.map((at) => ({ at, hostLost: true })),
        )
        assert.deepEqual(
          [...new Set(stored)].sort((a, b) => a - b),
          Array.from({ length: count }, (_, i) => i),
        )
        assert.deepEqual(
          [...acked].sort((a, b) => a - b),
          Array.from({ length: count }, (_, i) => i),
        )
      },
    ),
    { numRuns: 200 },
  )
})
