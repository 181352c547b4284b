/**
 * The optional pieces, over random sessions: a machine with every piece, driven as Node drives
 * it (an `InputQueue` whose groups run in `MemoryStore` transactions, the direct paths where
 * they apply, `ascendingIdTable`, `interfaceChanges`), and one without any, driven as the ESP32
 * runtimes drive it (an `InputQueue` without a `batch`: every input through `handle`, each write
 * standing as it is made, a `Map` id table), perform the same actions, settle the same sends,
 * and end each step in the same state, store included.
 *
 * A port's write that throws (a full disk) fails the same sends and begins the same store
 * failure on both, and both recover alike. One thing differs: the machine with transactions
 * rolls back and reads the stored queue again, which drops the rows that expired meanwhile,
 * where the one without reads nothing; the next write failing then falls on a different write
 * on each. So runs with store failures send no expiring stored value, and expired rows are left
 * out of the state compared (`stateOf`).
 *
 * An interface change is refused by the machine without `interfaceChanges` (`local.unsupported`,
 * nothing changed) and isn't fed to the other: no ESP32 application can make it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { InputQueue, SdkError, isExpired } from '@astarte-ts/sdk-core'
import type { DeviceAction, DeviceInput } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'
import { ifaces, type Harness } from './harness.js'
import {
  burstArb,
  lifeOpArb,
  nothingSeen,
  serverArb,
  sessionDriver,
  targets,
  withUnreliable,
  type SessionOp,
} from './random-session.js'

const STORED = targets.findIndex((t) => t.iface === ifaces.stored)
const EXPIRING = targets.findIndex((t) => t.iface === ifaces.expiring)

type PiecesOp = SessionOp | { readonly op: 'failWrite' }

const piecesOpArb: fc.Arbitrary<PiecesOp> = fc.oneof(
  { weight: 16, arbitrary: lifeOpArb },
  { weight: 2, arbitrary: serverArb },
  { weight: 2, arbitrary: burstArb },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('failWrite' as const) }) },
)

/** A machine behind the input queue its runtime gives it; `tick` runs what the tick deferred. */
interface Driven {
  readonly h: Harness
  /** Feeds `inputs` in one tick; returns what was performed, send outcomes as their events. */
  tick(inputs: readonly DeviceInput[], nowMs: number): DeviceAction[]
}

function driven(h: Harness, transactions: boolean): Driven {
  let now = 0
  let performed: DeviceAction[] = []
  let deferred: (() => void)[] = []
  const queue = new InputQueue({
    machine: h.machine,
    clock: { now: () => now },
    scheduler: { defer: (fn: () => void) => void deferred.push(fn) },
    ...(transactions ? { batch: <T>(fn: () => T): T => h.store.batch(fn) } : {}),
    perform: (action) => void performed.push(action),
    settled: (opId, error) =>
      void performed.push({
        type: 'event',
        event:
          error === undefined
            ? { type: 'sendCompleted', opId }
            : { type: 'sendFailed', opId, error },
      }),
  })
  return {
    h,
    tick(inputs, nowMs) {
      now = nowMs
      performed = []
      for (const input of inputs) queue.feed(input)
      while (deferred.length > 0) {
        const fns = deferred
        deferred = []
        for (const fn of fns) fn()
      }
      return performed
    },
  }
}

/**
 * What a machine and its store hold; the same on both after every step, but for one thing: a
 * queue drops its expired rows when read, and a rolled-back transaction has the machine read the
 * stored queue again (what it had read may be gone) where the machine without transactions
 * reads nothing. So expired rows, which nothing publishes any more, may still be counted and
 * held by one and not the other; they are left out of both.
 */
function stateOf(h: Harness, nowMs: number): unknown {
  const { store, machine } = h
  const queues = [store.storedQueue, store.volatileQueue].map((q) => q.snapshot())
  const live = queues.map((q) => [...q.live.values()].filter((m) => !isExpired(m, nowMs)))
  const expired = queues.reduce((n, q, i) => n + q.live.size - (live[i]?.length ?? 0), 0)
  const metrics = machine.metrics()
  return {
    tag: machine.state.tag,
    metrics: { ...metrics, queued: metrics.queued - expired },
    properties: store.properties.list(),
    // the memory store's meta keys, which its `KeyValueStore` interface doesn't list
    meta:
      'snapshot' in store.meta && typeof store.meta.snapshot === 'function'
        ? store.meta.snapshot()
        : undefined,
    queues: queues.map((q, i) => ({ nextId: q.nextId, live: live[i] })),
  }
}

test('without the optional pieces, random sessions have the outcomes they have with them', () => {
  const lifetimeMs = 3_600_000
  const seen = { ...nothingSeen(), refusedChanges: 0, storeFailures: 0, fast: 0 }
  const counted = <T>(taken: T | undefined): T | undefined => {
    if (taken !== undefined) seen.fast++
    return taken
  }
  fc.assert(
    fc.property(fc.array(piecesOpArb, { maxLength: 200, size: 'max' }), (ops) => {
      const options = { maxInflight: 3, pairing: { lifetimeMs } }
      const full = driven(withUnreliable({ ...options, transactions: true }), true)
      const bare = driven(withUnreliable({ ...options, pieces: false }), false)
      for (const { h } of [full, bare]) h.lb.feed({ type: 'start' })
      const started = full.h.lb.clock.now()
      assert.deepEqual(stateOf(bare.h, started), stateOf(full.h, started))
      // the direct paths the queue takes on the machine with them, counted
      const { machine } = full.h
      const [sendDirect, ackDirect] = [machine.sendDirect, machine.ackDirect]
      machine.sendDirect = (opId, data) => counted(sendDirect.call(machine, opId, data))
      machine.ackDirect = (publishId) => counted(ackDirect.call(machine, publishId))
      const session = sessionDriver(
        full.h,
        lifetimeMs,
        (inputs) => {
          const changes = inputs.filter(
            (i) => i.type === 'addInterface' || i.type === 'removeInterface',
          )
          if (changes.length > 0) {
            const before = stateOf(bare.h, session.now())
            for (const change of changes) {
              assert.throws(
                () => bare.tick([change], session.now()),
                (e: unknown) => e instanceof SdkError && e.code === 'local.unsupported',
              )
            }
            assert.deepEqual(stateOf(bare.h, session.now()), before)
            seen.refusedChanges++
            return []
          }
          const expected = full.tick(inputs, session.now())
          const actual = bare.tick(inputs, session.now())
          const what = inputs.map((i) => i.type).join(', ')
          assert.deepEqual(actual, expected, `actions of ${what}`)
          assert.deepEqual(
            stateOf(bare.h, session.now()),
            stateOf(full.h, session.now()),
            `state after ${what}`,
          )
          return expected
        },
        seen,
      )
      // with store failures, no stored row expires (see above)
      const failures = ops.some((o) => o.op === 'failWrite')
      for (const o of ops) {
        if (failures && o.op === 'send' && o.target === EXPIRING) {
          session.play({ ...o, target: STORED })
          continue
        }
        if (failures && o.op === 'burst') {
          const sends = o.sends.map((s) => (s.target === EXPIRING ? { ...s, target: STORED } : s))
          session.play({ ...o, sends })
          continue
        }
        if (o.op === 'failWrite') {
          // the next write either store makes throws, as a full disk's does
          seen.storeFailures++
          for (const { h } of [full, bare]) h.store.faults.failWrites(1)
          continue
        }
        session.play(o)
      }
      seen.renewals += session.issued
    }),
    { ...fcOptions, numRuns: Math.ceil(fcOptions.numRuns / 50), includeErrorInReport: true },
  )
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `no run had ${what}`)
})
