/**
 * `DeviceMachine.sendDirect` / `ackDirect`: a runtime that tries them before `handle` sees
 * exactly what `handle` alone gives, step by step, whatever the mix of retentions, acks,
 * failures and elapsed time; and they do take the common case (an online `discard` send and its
 * ack with nothing waiting).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SdkError } from '@astarte-ts/sdk-core'
import type { DeviceAction, DeviceInput, Validated } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'
import { harness, ifaces, individual, type Harness } from './harness.js'
import {
  lifeOpArb,
  nothingSeen,
  opArb,
  sessionDriver,
  targets,
  unreliable,
  withUnreliable,
} from './random-session.js'

/** Two machines brought online the same way: `plain` only ever gets `handle`. */
function pair(maxInflight?: number): { plain: Harness; direct: Harness } {
  const options = maxInflight === undefined ? {} : { maxInflight }
  const plain = withUnreliable(options)
  const direct = withUnreliable(options)
  for (const h of [plain, direct]) {
    h.lb.feed({ type: 'start' })
    assert.equal(h.machine.state.tag, 'online')
  }
  return { plain, direct }
}

interface Lockstep {
  /** Feeds `input` to both; returns `plain`'s actions after checking `direct`'s are the same. */
  step(input: DeviceInput): DeviceAction[]
  readonly fastSends: number
  readonly fastAcks: number
}

function lockstep(plain: Harness, direct: Harness, nowMs: () => number): Lockstep {
  let fastSends = 0
  let fastAcks = 0
  return {
    step(input) {
      const expected = plain.machine.handle(input, nowMs())
      let actual: DeviceAction[] | undefined
      if (input.type === 'send') {
        const publish = direct.machine.sendDirect(input.opId, input.data)
        if (publish !== undefined) {
          fastSends++
          actual = [publish]
        }
      }
      if (input.type === 'mqtt.published') {
        const opId = direct.machine.ackDirect(input.publishId)
        if (opId !== undefined) {
          fastAcks++
          actual = [{ type: 'event', event: { type: 'sendCompleted', opId } }]
        }
      }
      actual ??= direct.machine.handle(input, nowMs())
      assert.deepEqual(actual, expected, `actions of ${input.type}`)
      assert.deepEqual(direct.machine.metrics(), plain.machine.metrics(), `after ${input.type}`)
      assert.equal(direct.machine.state.tag, plain.machine.state.tag)
      return expected
    },
    get fastSends() {
      return fastSends
    },
    get fastAcks() {
      return fastAcks
    },
  }
}

test('the direct paths give what handle gives, step by step, over random sequences', () => {
  fc.assert(
    // a window of 3: full windows, waiting messages and refills are common
    fc.property(fc.array(opArb, { maxLength: 300, size: 'max' }), (ops) => {
      const { plain, direct } = pair(3)
      let now = 1_000_000
      const run = lockstep(plain, direct, () => now)
      let opId = 0
      const inFlight: number[] = []
      const track = (actions: readonly DeviceAction[]) => {
        for (const a of actions) if (a.type === 'mqtt.publish') inFlight.push(a.publishId)
      }
      for (const o of ops) {
        if (o.op === 'wait') {
          now += o.ms
          continue
        }
        if (o.op === 'send') {
          const target = targets[o.target]
          assert.ok(target !== undefined)
          track(run.step({ type: 'send', opId: ++opId, data: target.data(o.id, o.value) }))
          continue
        }
        if (inFlight.length === 0) continue
        const index = o.oldest ? 0 : o.pick % inFlight.length
        const [publishId] = inFlight.splice(index, 1) as [number]
        const error = new SdkError('remote.publish_failed', "couldn't publish")
        track(
          run.step(
            o.op === 'ack'
              ? { type: 'mqtt.published', publishId }
              : { type: 'mqtt.publishFailed', publishId, error },
          ),
        )
      }
    }),
    { ...fcOptions, numRuns: Math.ceil(fcOptions.numRuns / 50) },
  )
})

test('the direct paths give what handle gives across stops, reconnects, interface changes and renewals', () => {
  const lifetimeMs = 3_600_000
  // what the runs went through, so that the property can't hold vacuously
  const seen = nothingSeen()
  let fast = 0
  fc.assert(
    fc.property(fc.array(lifeOpArb, { maxLength: 250, size: 'max' }), (ops) => {
      const [plain, direct] = [0, 1].map(() =>
        withUnreliable({ maxInflight: 3, pairing: { lifetimeMs } }),
      ) as [Harness, Harness]
      for (const h of [plain, direct]) h.lb.feed({ type: 'start' })
      assert.equal(direct.machine.state.tag, plain.machine.state.tag)
      const run = lockstep(plain, direct, () => session.now())
      const session = sessionDriver(plain, lifetimeMs, (inputs) => inputs.flatMap(run.step), seen)
      for (const o of ops) session.play(o)
      seen.renewals += session.issued
      fast += run.fastSends + run.fastAcks
    }),
    { ...fcOptions, numRuns: Math.ceil(fcOptions.numRuns / 100) },
  )
  const { renewals, reconnects, stops, interfaceChanges } = seen
  for (const [what, count] of Object.entries({
    renewals,
    reconnects,
    stops,
    interfaceChanges,
    fast,
  }))
    assert.ok(count > 0, `no run had ${what}`)
})

test('an online discard send and its ack take the direct paths while nothing waits', () => {
  const { plain, direct } = pair()
  const run = lockstep(plain, direct, () => 1_000_000)
  for (let opId = 1; opId <= 500; opId++) {
    const [publish] = run.step({
      type: 'send',
      opId,
      data: individual(ifaces.guaranteed, '/a/value', opId / 10),
    })
    assert.equal(publish?.type, 'mqtt.publish')
    if (publish?.type === 'mqtt.publish') {
      run.step({ type: 'mqtt.published', publishId: publish.publishId })
    }
  }
  assert.equal(run.fastSends, 500)
  assert.equal(run.fastAcks, 500)
})

test('a full window, a waiting stored message or a stop leaves the send to handle', () => {
  const { plain, direct } = pair()
  const run = lockstep(plain, direct, () => 1_000_000)
  const send = (opId: number, data: Validated) => run.step({ type: 'send', opId, data })
  // a full window: the 101st discard send waits, and so does every one after it
  const publishIds: number[] = []
  for (let opId = 1; opId <= 101; opId++) {
    for (const a of send(opId, individual(ifaces.guaranteed, '/a/value', opId))) {
      if (a.type === 'mqtt.publish') publishIds.push(a.publishId)
    }
  }
  assert.equal(run.fastSends, 100)
  assert.equal(direct.machine.metrics().queued, 1)
  // its ack has the waiting one to publish: handle does it
  run.step({ type: 'mqtt.published', publishId: publishIds[0] as number })
  assert.equal(run.fastAcks, 0)
  assert.equal(direct.machine.metrics().queued, 0)
  // a stopping device publishes nothing new
  run.step({ type: 'stop' })
  assert.equal(
    direct.machine.sendDirect(999, individual(ifaces.guaranteed, '/a/value', 1)),
    undefined,
  )
})

test('a QoS 0 discard send takes no room: it goes past a full window, never past a waiting message', () => {
  const { plain, direct } = pair(2)
  const run = lockstep(plain, direct, () => 1_000_000)
  const ids: number[] = []
  const published = (actions: readonly DeviceAction[]): string[] =>
    actions.flatMap((a) => {
      if (a.type !== 'mqtt.publish') return []
      ids.push(a.publishId)
      return [a.topic.slice(a.topic.indexOf('/org'))]
    })
  let opId = 0
  const send = (data: Validated) => published(run.step({ type: 'send', opId: ++opId, data }))
  const qos1 = (v: number) => send(individual(ifaces.guaranteed, '/a/value', v))
  const qos0 = (v: number) => send(individual(unreliable, '/z/value', v))
  const guaranteed = '/org.dev.Guaranteed/a/value'
  const zero = '/org.dev.Unreliable/z/value'
  assert.deepEqual([qos1(1), qos1(2)], [[guaranteed], [guaranteed]])
  // the window is full: QoS 0 sends still go, each at once
  assert.deepEqual([qos0(1), qos0(2)], [[zero], [zero]])
  assert.equal(run.fastSends, 4)
  assert.equal(direct.machine.metrics().inflight, 4)
  // a QoS 1 send waits for room, and the QoS 0 one after it waits behind it
  assert.deepEqual([qos1(3), qos0(3)], [[], []])
  assert.equal(direct.machine.metrics().queued, 2)
  // a QoS 0 ack frees no room: nothing moves
  assert.deepEqual(published(run.step({ type: 'mqtt.published', publishId: ids[2] as number })), [])
  // a QoS 1 ack does: the waiting QoS 1 message goes, then the QoS 0 one behind it
  assert.deepEqual(published(run.step({ type: 'mqtt.published', publishId: ids[0] as number })), [
    guaranteed,
    zero,
  ])
  assert.equal(direct.machine.metrics().queued, 0)
})

test('during a renewal drain, acks go to handle: the last one in flight disconnects', () => {
  const lifetimeMs = 3_600_000
  const [plain, direct] = [0, 1].map(() => {
    const h = harness({ pairing: { lifetimeMs } })
    h.lb.feed({ type: 'start' })
    h.lb.holdAcks = true
    for (let n = 0; n < 3; n++) h.send(individual(ifaces.guaranteed, '/g/value', n))
    h.lb.advance(lifetimeMs * 0.75 + 1) // the renewal point with random() = 0.5
    assert.equal(h.astarte.connected, true, 'still draining')
    const publishIds = h.lb.actions.flatMap((a) => (a.type === 'mqtt.publish' ? [a.publishId] : []))
    return { h, inFlight: publishIds.slice(-3) }
  }) as [{ h: Harness; inFlight: number[] }, { h: Harness; inFlight: number[] }]
  assert.deepEqual(direct.inFlight, plain.inFlight)
  const run = lockstep(plain.h, direct.h, () => 0)
  const last = plain.inFlight.map((publishId) => run.step({ type: 'mqtt.published', publishId }))
  assert.equal(run.fastAcks, 0)
  assert.deepEqual(
    last.at(-1)?.map((a) => a.type),
    ['event', 'timer.cancel', 'mqtt.disconnect'],
  )
})
