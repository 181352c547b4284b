/**
 * A store that can't write (a full disk), on the loopback with group commit in `MemoryStore`
 * transactions whose commits and writes fail when the test says (`StoreFaults`; like SQLite, a
 * rolled-back queue id is issued again). What must hold: a send told it failed never reaches
 * Astarte; an acknowledgement never removes another message; while acknowledgements can't be
 * recorded nothing stored is published again (no storm); a warning once when the store fails and
 * once when it writes again; afterwards the device carries on by itself.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { InputQueue, SdkError } from '@astarte-ts/sdk-core'
import type { DeviceAction, DeviceEvent, DeviceInput } from '@astarte-ts/sdk-core'
import { ManualClock, MemoryStore } from '@astarte-ts/runtime-testing'
import { decodeBson } from '../../src/bson/decode.js'
import { fcOptions } from '../bson/fc-config.js'
import { iface } from '../protocol/fixtures.js'
import { P, allInterfaces, harness, ifaces, individual, type Harness } from './harness.js'

const TOPIC = `${P}/org.dev.Stored/s/value`
// QoS 2, stored, never expiring
const uniqueStored = iface('org.dev.UniqueStored', { type: 'datastream', ownership: 'device' }, [
  { endpoint: '/%{id}/value', reliability: 'unique', retention: 'stored' },
])
const BACKOFF = { minMs: 1_000, maxMs: 8_000 }

function value(payload: Uint8Array): number {
  const v = decodeBson(payload).get('v')
  return v?.type === 'double' ? v.value : NaN
}

/** The stored values Astarte received, in order (repeats included). */
const arrived = (h: Harness): number[] =>
  h.astarte.received.filter((m) => m.topic === TOPIC).map((m) => value(m.payload))

/** Each send's outcome by op id: true resolved, false failed. */
function outcomes(h: Harness): Map<number, boolean> {
  const out = new Map<number, boolean>()
  for (const e of h.lb.events) {
    if (e.type === 'sendCompleted') out.set(e.opId, true)
    if (e.type === 'sendFailed') out.set(e.opId, false)
  }
  return out
}

const warnings = (h: Harness): string[] =>
  h.lb
    .eventsOf('warning')
    .map((w) => w.message)
    .filter((m) => m.includes('store'))

const settledDown = (h: Harness): boolean =>
  h.machine.metrics().queued + h.machine.metrics().inflight === 0

function online(options: Parameters<typeof harness>[0] = {}): Harness {
  const h = harness({ transactions: true, backoff: BACKOFF, ...options })
  h.lb.feed({ type: 'start' })
  assert.equal(h.machine.state.tag, 'online')
  return h
}

const sendStored = (h: Harness, n: number): number =>
  h.send(individual(ifaces.stored, '/s/value', n))

test('a failed commit fails the stored send, and nothing of it is published', () => {
  const h = online()
  h.store.faults.failCommits(1)
  const failed = sendStored(h, 1)
  const kept = sendStored(h, 2)
  const failure = h.lb.eventsOf('sendFailed').find((e) => e.opId === failed)
  assert.ok(failure !== undefined && failure.error.code === 'local.io_failed', 'the send failed')
  assert.equal(outcomes(h).get(kept), true, 'stored: resolved once committed')
  assert.deepEqual(arrived(h), [], 'stored rows wait for the probe')
  h.lb.advance(BACKOFF.minMs)
  assert.deepEqual(arrived(h), [2])
  assert.equal(h.store.storedQueue.count(), 0)
  assert.equal(h.machine.metrics().inflight, 0)
})

test('an id issued again after a rollback names the new message only', () => {
  const h = online()
  h.lb.holdAcks = true
  const a = h.store.storedQueue
  sendStored(h, 1)
  h.store.faults.failCommits(1)
  sendStored(h, 2)
  // the memory queue, like SQLite's AUTOINCREMENT, issues the rolled-back id again
  h.lb.advance(BACKOFF.minMs)
  sendStored(h, 3)
  h.lb.releaseAcks()
  assert.deepEqual(arrived(h), [1, 3])
  assert.equal(a.count(), 0, 'each ack removed its own message')
  assert.deepEqual([...outcomes(h).values()], [true, false, true])
})

test('acks that cannot be recorded: no message published again, a warning once, then it carries on', () => {
  const h = online()
  h.lb.holdAcks = true
  h.lb.feed({ type: 'stop' })
  for (let n = 0; n < 250; n++) sendStored(h, n)
  h.lb.feed({ type: 'start' })
  h.lb.releaseAcks(h.lb.heldAcks - 100) // the sync
  assert.equal(arrived(h).length, 100, 'a window of stored messages in flight')
  h.store.faults.full = true
  h.lb.releaseAcks()
  for (let s = 0; s < 30; s++) h.lb.advance(1_000)
  assert.equal(arrived(h).length, 100, 'nothing published again while the disk is full')
  assert.equal(h.store.storedQueue.count(), 250, 'the acks were not recorded')
  assert.deepEqual(warnings(h), [
    "couldn't write the store: stored messages wait until it accepts writes again",
  ])
  h.store.faults.full = false
  h.lb.advance(BACKOFF.maxMs)
  h.lb.releaseAcks()
  h.lb.releaseAcks()
  h.lb.releaseAcks()
  assert.deepEqual(
    arrived(h),
    Array.from({ length: 250 }, (_, n) => n),
    'each message exactly once, in order',
  )
  assert.equal(h.store.storedQueue.count(), 0)
  assert.equal(warnings(h).length, 2)
  assert.match(warnings(h)[1] ?? '', /^the store accepts writes again/)
  assert.deepEqual(
    [...outcomes(h).values()].filter((ok) => !ok),
    [],
  )
})

test('a full disk at the sync: the device goes online, stored rows wait, a full sync follows', () => {
  const h = online()
  h.lb.feed({ type: 'stop' })
  for (let n = 0; n < 5; n++) sendStored(h, n)
  h.store.faults.full = true
  h.lb.feed({ type: 'start' })
  assert.equal(h.machine.state.tag, 'online')
  assert.deepEqual(arrived(h), [])
  h.store.faults.full = false
  h.lb.advance(BACKOFF.maxMs)
  assert.deepEqual(arrived(h), [0, 1, 2, 3, 4])
  // the sync marker written while the disk was full was lost: the next connection syncs in full
  const connects = h.astarte.transcript.filter((e) => e.type === 'connect').length
  h.lb.dropConnection()
  h.lb.advance(BACKOFF.maxMs)
  const after = h.astarte.transcript.slice(connects)
  assert.ok(
    after.some((e) => e.type === 'publish' && e.topic === P),
    'introspection re-sent',
  )
})

test('a property set whose commit fails is not published, not cached, and fails', () => {
  const h = online()
  h.store.faults.failCommits(1)
  const op = h.send(individual(ifaces.devProps, '/a/value', 5))
  assert.equal(outcomes(h).get(op), false)
  assert.equal(h.store.properties.get('org.dev.Props', '/a/value'), undefined)
  h.lb.advance(BACKOFF.maxMs)
  assert.equal(h.astarte.deviceProperties.size, 0)
})

test('the probe retries on a doubling delay within the backoff bounds', () => {
  const h = online()
  h.store.faults.full = true
  sendStored(h, 1)
  const probes = (): number[] =>
    h.lb.actions.flatMap((a) =>
      a.type === 'timer.set' && a.timerId.startsWith('device.storeProbe') ? [a.atMs] : [],
    )
  for (let i = 0; i < 6; i++) h.lb.advance(BACKOFF.maxMs)
  const at = probes()
  const delays = at.slice(1).map((t, i) => t - (at[i] ?? 0))
  assert.deepEqual(delays.slice(0, 4), [2_000, 4_000, 8_000, 8_000])
  assert.equal(warnings(h).length, 1, 'one warning however many probes fail')
})

test('without transactions, a write that fails fails its send and the store is probed the same way', () => {
  const h = harness({ backoff: BACKOFF })
  h.lb.feed({ type: 'start' })
  h.store.faults.full = true // outside a transaction every write fails at once
  const failed = sendStored(h, 1)
  assert.equal(outcomes(h).get(failed), false)
  assert.equal(h.lb.eventsOf('sendFailed')[0]?.error.code, 'local.io_failed')
  h.store.faults.full = false
  h.lb.advance(BACKOFF.minMs)
  const kept = sendStored(h, 2)
  assert.equal(outcomes(h).get(kept), true)
  assert.deepEqual(arrived(h), [2])
  assert.equal(warnings(h).length, 2)
})

/**
 * The driver's side (`InputQueue`), with a scheduler the test runs: a group of several sends in
 * one transaction, a write failing in the middle of it.
 */
test('a write failing inside a group rolls the whole group back; the inputs after it run next', () => {
  const h = harness({ interfaces: [ifaces.stored], backoff: BACKOFF })
  const store = h.store
  const deferred: (() => void)[] = []
  const settled = new Map<number, SdkError | undefined>()
  const performed: DeviceAction[] = []
  const queue = new InputQueue({
    machine: h.machine,
    clock: new ManualClock(),
    scheduler: { defer: (fn) => deferred.push(fn) },
    batch: (fn) => store.batch(fn),
    perform: (action) => performed.push(action),
    settled: (opId, error) => settled.set(opId, error),
  })
  const send = (opId: number, n: number): DeviceInput => ({
    type: 'send',
    opId,
    data: individual(ifaces.stored, '/s/value', n),
  })
  queue.feed(send(1, 1))
  queue.feed(send(2, 2))
  store.faults.failWrites(1) // the first enqueue of the group
  queue.feed(send(3, 3))
  for (const fn of deferred.splice(0)) fn()
  assert.equal(settled.get(1)?.code, 'local.io_failed')
  // the inputs after the failure run in a group of their own, which commits
  assert.equal(settled.get(2), undefined)
  assert.equal(settled.get(3), undefined)
  assert.equal(store.storedQueue.count(), 2)
  assert.ok(settled.has(2) && settled.has(3))
  const warning = performed.find(
    (a): a is Extract<DeviceAction, { type: 'event' }> =>
      a.type === 'event' && (a.event as DeviceEvent).type === 'warning',
  )
  assert.ok(warning !== undefined, 'the store failure is reported')
})

type Op =
  | { readonly type: 'send' }
  | { readonly type: 'acks'; readonly count: number }
  | { readonly type: 'full'; readonly on: boolean }
  | { readonly type: 'failCommit' }
  | { readonly type: 'failWrite' }
  | { readonly type: 'advance'; readonly ms: number }
  | { readonly type: 'drop' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ type: 'send' as const }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('acks' as const), count: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('full' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ type: 'failCommit' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'failWrite' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.nat(9_000) }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'drop' as const }) },
)

test('property: whatever fails when, a failed send never arrives, a resolved one does, no storm', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), fc.boolean(), (ops, unique) => {
      const h = online({ maxInflight: 4, interfaces: [...allInterfaces, uniqueStored] })
      h.astarte.install(uniqueStored)
      h.lb.holdAcks = true
      const mapping = unique ? uniqueStored : ifaces.stored
      const topic = `${P}/${mapping.name}/s/value`
      const byOp = new Map<number, number>()
      let next = 0
      for (const o of ops) {
        switch (o.type) {
          case 'send': {
            const n = next++
            byOp.set(h.send(individual(mapping, '/s/value', n)), n)
            break
          }
          case 'acks':
            h.lb.releaseAcks(Math.min(o.count, h.lb.heldAcks))
            break
          case 'full':
            h.store.faults.full = o.on
            break
          case 'failCommit':
            h.store.faults.failCommits(1)
            break
          case 'failWrite':
            h.store.faults.failWrites(1)
            break
          case 'advance':
            h.lb.advance(o.ms)
            break
          case 'drop':
            h.lb.dropConnection()
            break
        }
      }
      // space returns; the device carries on by itself
      h.store.faults.full = false
      h.lb.holdAcks = false
      h.lb.releaseAcks()
      // the probe's longest delay at a time, as long as messages remain or the store is failing
      const failing = (): boolean => warnings(h).length % 2 === 1
      for (let s = 0; s < 10 && (!settledDown(h) || failing()); s++) {
        h.lb.advance(BACKOFF.maxMs)
        h.lb.releaseAcks()
      }
      const got = h.astarte.received.filter((m) => m.topic === topic).map((m) => value(m.payload))
      const seen = new Map<number, number>()
      for (const v of got) seen.set(v, (seen.get(v) ?? 0) + 1)
      const results = outcomes(h)
      for (const [opId, n] of byOp) {
        const ok = results.get(opId)
        assert.notEqual(ok, undefined, `send ${n} settled`)
        if (ok === true) assert.ok(seen.has(n), `resolved ${n} arrived`)
        else assert.ok(!seen.has(n), `failed ${n} never arrives`)
        // at-least-once: a copy per connection at most (each replays what was unacknowledged),
        // the device's own reconnects included
        const connections = 1 + h.machine.metrics().reconnects
        assert.ok((seen.get(n) ?? 0) <= connections, `${n} arrived ${seen.get(n)} times`)
      }
      assert.equal(h.store.storedQueue.count(), 0, 'every ack removed its own message')
      assert.equal(h.machine.metrics().inflight, 0)
      const storeWarnings = warnings(h)
      for (let i = 0; i < storeWarnings.length; i++) {
        const recovery = /^the store accepts writes again/.test(storeWarnings[i] ?? '')
        assert.equal(recovery, i % 2 === 1, 'a failure and its recovery alternate, once each')
      }
      assert.equal(storeWarnings.length % 2, 0, 'the last failure was followed by its recovery')
    }),
    { ...fcOptions, numRuns: Math.min(fcOptions.numRuns, 300) },
  )
})
