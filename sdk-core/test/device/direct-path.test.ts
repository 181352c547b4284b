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
import type { DeviceAction, DeviceInput, Interface, Validated } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'
import { FakePairing } from '@astarte-ts/runtime-testing'
import { iface } from '../protocol/fixtures.js'
import {
  DEVICE_ID,
  REALM,
  allInterfaces,
  harness,
  ifaces,
  individual,
  unset,
  type Harness,
  type HarnessOptions,
} from './harness.js'

// QoS 0 `discard`: its publishes take no room in the window
const unreliable = iface('org.dev.Unreliable', { type: 'datastream', ownership: 'device' }, [
  { endpoint: '/%{id}/value', reliability: 'unreliable' },
])

/** A harness whose device and Astarte also know `unreliable`. */
function withUnreliable(options: HarnessOptions): Harness {
  const h = harness({ ...options, interfaces: [...allInterfaces, unreliable] })
  h.astarte.install(unreliable)
  return h
}

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

const targets: readonly { iface: Interface; data: (id: string, v: number) => Validated }[] = [
  { iface: ifaces.guaranteed, data: (id, v) => individual(ifaces.guaranteed, `/${id}/value`, v) },
  { iface: unreliable, data: (id, v) => individual(unreliable, `/${id}/value`, v) },
  { iface: ifaces.stored, data: (id, v) => individual(ifaces.stored, `/${id}/value`, v) },
  { iface: ifaces.volatile, data: (id, v) => individual(ifaces.volatile, `/${id}/value`, v) },
  { iface: ifaces.expiring, data: (id, v) => individual(ifaces.expiring, `/${id}/value`, v) },
  { iface: ifaces.devProps, data: (id, v) => individual(ifaces.devProps, `/${id}/value`, v) },
  { iface: ifaces.devProps, data: (id) => unset(ifaces.devProps, `/${id}/value`) },
]

type Op =
  | { readonly op: 'send'; readonly target: number; readonly id: string; readonly value: number }
  | { readonly op: 'ack' | 'fail'; readonly pick: number; readonly oldest: boolean }
  | { readonly op: 'wait'; readonly ms: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('send' as const),
      // mostly the discard datastreams, whose sends may take the direct path
      target: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 3, arbitrary: fc.constant(1) },
        fc.nat(targets.length - 1),
      ),
      id: fc.constantFrom('a', 'b', 'c'),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('ack' as const), pick: fc.nat(), oldest: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('fail' as const),
      pick: fc.nat(),
      oldest: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.nat(8000) }) },
)

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

/** What the lockstep's peer does besides acking: connection, interface and session events. */
type LifeOp =
  | Op
  | { readonly op: 'drop' | 'stop' | 'start' }
  | { readonly op: 'toggleInterface' }
  | { readonly op: 'connack'; readonly sessionPresent: boolean }

const lifeOpArb: fc.Arbitrary<LifeOp> = fc.oneof(
  { weight: 12, arbitrary: opArb },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('drop', 'stop', 'start') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toggleInterface' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('connack' as const), sessionPresent: fc.boolean() }),
  },
  // long waits cross certificate renewals (lifetime 1 h, renewal at 3/4 of it)
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.nat(3_000_000) }) },
)

test('the direct paths give what handle gives across stops, reconnects, interface changes and renewals', () => {
  const lifetimeMs = 3_600_000
  // what the runs went through, so that the property can't hold vacuously
  const seen = { renewals: 0, reconnects: 0, stops: 0, interfaceChanges: 0, fast: 0 }
  fc.assert(
    fc.property(fc.array(lifeOpArb, { maxLength: 250, size: 'max' }), (ops) => {
      const [plain, direct] = [0, 1].map(() =>
        withUnreliable({ maxInflight: 3, pairing: { lifetimeMs } }),
      ) as [Harness, Harness]
      for (const h of [plain, direct]) h.lb.feed({ type: 'start' })
      assert.equal(direct.machine.state.tag, plain.machine.state.tag)
      let now = plain.lb.clock.now()
      const run = lockstep(plain, direct, () => now)
      // answers pairing actions the same way for both machines, on the lockstep's clock
      const peer = new FakePairing({
        realm: REALM,
        deviceId: DEVICE_ID,
        now: () => now,
        lifetimeMs,
      })
      // the timers the start armed (the renewal's among them) go on on the lockstep's clock
      const timers = new Map<string, number>()
      for (const a of plain.lb.actions) {
        if (a.type === 'timer.set') timers.set(a.timerId, a.atMs)
        if (a.type === 'timer.cancel') timers.delete(a.timerId)
      }
      const inFlight: number[] = []
      let connecting = false
      let extra = false
      let opId = 0
      // feeds `input` and what the peer answers at once (subscriptions, pairing, disconnects)
      const step = (first: DeviceInput): void => {
        const inputs = [first]
        for (let input = inputs.shift(); input !== undefined; input = inputs.shift()) {
          for (const a of run.step(input)) {
            switch (a.type) {
              case 'mqtt.publish':
                inFlight.push(a.publishId)
                break
              case 'mqtt.connect':
                connecting = true
                break
              case 'mqtt.subscribe':
                inputs.push({ type: 'mqtt.subscribed', requestId: a.requestId })
                break
              case 'mqtt.disconnect':
                inFlight.length = 0
                connecting = false
                inputs.push({ type: 'mqtt.closed' })
                break
              case 'timer.set':
                timers.set(a.timerId, a.atMs)
                break
              case 'timer.cancel':
                timers.delete(a.timerId)
                break
              case 'http':
              case 'crypto.createKeyAndCsr':
              case 'credentials.save':
                inputs.push(peer.answer(a))
                break
              default:
                break
            }
          }
        }
      }
      const fireDue = (): void => {
        for (;;) {
          const due = [...timers].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1])[0]
          if (due === undefined) return
          timers.delete(due[0])
          step({ type: 'timer', timerId: due[0] })
        }
      }
      const error = new SdkError('remote.publish_failed', "couldn't publish")
      for (const o of ops) {
        switch (o.op) {
          case 'wait':
            now += o.ms
            fireDue()
            break
          case 'send': {
            const target = targets[o.target]
            assert.ok(target !== undefined)
            step({ type: 'send', opId: ++opId, data: target.data(o.id, o.value) })
            break
          }
          case 'ack':
          case 'fail': {
            if (inFlight.length === 0) break
            const index = o.oldest ? 0 : o.pick % inFlight.length
            const [publishId] = inFlight.splice(index, 1) as [number]
            step(
              o.op === 'ack'
                ? { type: 'mqtt.published', publishId }
                : { type: 'mqtt.publishFailed', publishId, error },
            )
            break
          }
          case 'connack':
            if (!connecting) break
            connecting = false
            seen.reconnects++
            step({ type: 'mqtt.connected', sessionPresent: o.sessionPresent, resumed: [] })
            break
          case 'drop':
            inFlight.length = 0
            connecting = false
            step({ type: 'mqtt.closed', error: new SdkError('remote.connection_reset', 'gone') })
            break
          case 'stop':
          case 'start':
            if (o.op === 'stop' && plain.machine.state.tag === 'online') seen.stops++
            step({ type: o.op })
            break
          case 'toggleInterface':
            extra = !extra
            seen.interfaceChanges++
            step(
              extra
                ? { type: 'addInterface', iface: ifaces.srvStream }
                : { type: 'removeInterface', name: ifaces.srvStream.name },
            )
            break
        }
      }
      seen.renewals += peer.issued
      seen.fast += run.fastSends + run.fastAcks
    }),
    { ...fcOptions, numRuns: Math.ceil(fcOptions.numRuns / 100) },
  )
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `no run had ${what}`)
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
