/**
 * @module random device sessions, for lockstep properties: the command sequences fast-check draws
 * (sends of every retention and reliability, acks and failures of the publishes in flight, waits,
 * lost connections, stops, reconnects with and without a session, interface changes, server
 * messages) and `playSession`, which turns them into a machine's inputs and answers its actions
 * as a peer would (subscriptions, pairing and certificate renewals, disconnects, timers).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { SdkError, encodePayload } from '@astarte-ts/sdk-core'
import type { DeviceAction, DeviceInput, Interface, Validated } from '@astarte-ts/sdk-core'
import { FakePairing } from '@astarte-ts/runtime-testing'
import { iface } from '../protocol/fixtures.js'
import {
  DEVICE_ID,
  P,
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
export const unreliable = iface('org.dev.Unreliable', { type: 'datastream', ownership: 'device' }, [
  { endpoint: '/%{id}/value', reliability: 'unreliable' },
])

/** A harness whose device and Astarte also know `unreliable`. */
export function withUnreliable(options: HarnessOptions): Harness {
  const h = harness({ ...options, interfaces: [...allInterfaces, unreliable] })
  h.astarte.install(unreliable)
  return h
}

export const targets: readonly { iface: Interface; data: (id: string, v: number) => Validated }[] =
  [
    { iface: ifaces.guaranteed, data: (id, v) => individual(ifaces.guaranteed, `/${id}/value`, v) },
    { iface: unreliable, data: (id, v) => individual(unreliable, `/${id}/value`, v) },
    { iface: ifaces.stored, data: (id, v) => individual(ifaces.stored, `/${id}/value`, v) },
    { iface: ifaces.volatile, data: (id, v) => individual(ifaces.volatile, `/${id}/value`, v) },
    { iface: ifaces.expiring, data: (id, v) => individual(ifaces.expiring, `/${id}/value`, v) },
    { iface: ifaces.devProps, data: (id, v) => individual(ifaces.devProps, `/${id}/value`, v) },
    { iface: ifaces.devProps, data: (id) => unset(ifaces.devProps, `/${id}/value`) },
  ]

export type SendOp = {
  readonly op: 'send'
  readonly target: number
  readonly id: string
  readonly value: number
}

export type Op =
  | SendOp
  | { readonly op: 'ack' | 'fail'; readonly pick: number; readonly oldest: boolean }
  | { readonly op: 'wait'; readonly ms: number }

export const sendArb: fc.Arbitrary<SendOp> = fc.record({
  op: fc.constant('send' as const),
  // mostly the discard datastreams, whose sends may take the direct path
  target: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.constant(1) },
    fc.nat(targets.length - 1),
  ),
  id: fc.constantFrom('a', 'b', 'c'),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
})

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: sendArb },
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

/** What the peer does besides acking: connection, interface and session events. */
export type LifeOp =
  | Op
  | { readonly op: 'drop' | 'stop' | 'start' }
  | { readonly op: 'toggleInterface' }
  /** `resume`: on a present session the transport completes what the lost connection had in flight. */
  | { readonly op: 'connack'; readonly sessionPresent: boolean; readonly resume: boolean }

export const lifeOpArb: fc.Arbitrary<LifeOp> = fc.oneof(
  { weight: 12, arbitrary: opArb },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('drop', 'stop', 'start') }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toggleInterface' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('connack' as const),
      sessionPresent: fc.boolean(),
      resume: fc.boolean(),
    }),
  },
  // long waits cross certificate renewals (lifetime 1 h, renewal at 3/4 of it)
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.nat(3_000_000) }) },
)

/** Server data: a property set or unset, a datastream value, or a payload that doesn't decode. */
export type ServerOp = {
  readonly op: 'server'
  readonly kind: 'property' | 'unset' | 'stream' | 'garbage'
  readonly id: string
  readonly value: number
}

export const serverArb: fc.Arbitrary<ServerOp> = fc.record({
  op: fc.constant('server' as const),
  kind: fc.constantFrom('property', 'unset', 'stream', 'garbage'),
  id: fc.constantFrom('a', 'b'),
  value: fc.integer({ min: -1000, max: 1000 }),
})

function serverMessage(o: ServerOp): DeviceInput {
  const iface = o.kind === 'stream' ? ifaces.srvStream : ifaces.srvProps
  const path = `/${o.id}/value`
  const payload =
    o.kind === 'unset'
      ? new Uint8Array()
      : o.kind === 'garbage'
        ? Uint8Array.of(1, 2, 3)
        : encodePayload(individual(iface, path, o.value))
  return { type: 'mqtt.message', topic: `${P}/${iface.name}${path}`, payload }
}

/** Sends handed to the device together: a runtime's group commit of one tick. */
export type BurstOp = { readonly op: 'burst'; readonly sends: readonly SendOp[] }

export const burstArb: fc.Arbitrary<BurstOp> = fc.record({
  op: fc.constant('burst' as const),
  sends: fc.array(sendArb, { minLength: 2, maxLength: 6 }),
})

export type SessionOp = LifeOp | ServerOp | BurstOp

/** What the sessions played went through, so that a property can't hold vacuously. */
export interface Seen {
  renewals: number
  reconnects: number
  /** Connections whose transport completed the lost one's publishes. */
  resumes: number
  stops: number
  interfaceChanges: number
  serverMessages: number
  bursts: number
}

export const nothingSeen = (): Seen => ({
  renewals: 0,
  reconnects: 0,
  resumes: 0,
  stops: 0,
  interfaceChanges: 0,
  serverMessages: 0,
  bursts: 0,
})

export interface SessionDriver {
  /** The clock the inputs are handled at. */
  readonly now: () => number
  play(op: SessionOp): void
  /** Certificates the peer issued so far (the first pairing's and each renewal's). */
  readonly issued: number
}

/**
 * Plays a session on started machines (`first` is one of them, for its loopback's clock and the
 * timers its start armed). `step` feeds one group of inputs (mostly of one) at `now()` and
 * returns the actions to perform, those of each input in order; the driver answers them as the
 * peer would, and decides from them what is in flight and connecting.
 */
export function sessionDriver(
  first: Harness,
  lifetimeMs: number,
  step: (inputs: readonly DeviceInput[]) => DeviceAction[],
  seen: Seen,
): SessionDriver {
  let now = first.lb.clock.now()
  // answers pairing actions the same way for both machines, on the lockstep's clock
  const peer = new FakePairing({ realm: REALM, deviceId: DEVICE_ID, now: () => now, lifetimeMs })
  // the timers the start armed (the renewal's among them) go on on the lockstep's clock
  const timers = new Map<string, number>()
  for (const a of first.lb.actions) {
    if (a.type === 'timer.set') timers.set(a.timerId, a.atMs)
    if (a.type === 'timer.cancel') timers.delete(a.timerId)
  }
  const inFlight: number[] = []
  // what the last connection lost had in flight
  let lost: number[] = []
  const lose = (): void => {
    lost = [...inFlight]
    inFlight.length = 0
  }
  let connecting = false
  let connected = first.machine.state.tag === 'online' || first.machine.state.tag === 'syncing'
  let extra = false
  let opId = 0
  // feeds `group` and what the peer answers at once (subscriptions, pairing, disconnects)
  const feed = (group: readonly DeviceInput[]): void => {
    const inputs: DeviceInput[] = []
    for (let next: readonly DeviceInput[] | undefined = group; next !== undefined;) {
      for (const a of step(next)) {
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
            lose()
            connecting = false
            connected = false
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
      const input = inputs.shift()
      next = input === undefined ? undefined : [input]
    }
  }
  const fireDue = (): void => {
    for (;;) {
      const due = [...timers].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1])[0]
      if (due === undefined) return
      timers.delete(due[0])
      feed([{ type: 'timer', timerId: due[0] }])
    }
  }
  const sendInput = (o: SendOp): DeviceInput => {
    const target = targets[o.target]
    assert.ok(target !== undefined)
    return { type: 'send', opId: ++opId, data: target.data(o.id, o.value) }
  }
  const error = new SdkError('remote.publish_failed', "couldn't publish")
  const play = (o: SessionOp): void => {
    switch (o.op) {
      case 'wait':
        now += o.ms
        fireDue()
        break
      case 'send':
        feed([sendInput(o)])
        break
      case 'burst':
        seen.bursts++
        feed(o.sends.map(sendInput))
        break
      case 'ack':
      case 'fail': {
        if (inFlight.length === 0) break
        const index = o.oldest ? 0 : o.pick % inFlight.length
        const [publishId] = inFlight.splice(index, 1) as [number]
        feed([
          o.op === 'ack'
            ? { type: 'mqtt.published', publishId }
            : { type: 'mqtt.publishFailed', publishId, error },
        ])
        break
      }
      case 'connack': {
        if (!connecting) break
        connecting = false
        connected = true
        seen.reconnects++
        const resumed = o.sessionPresent && o.resume ? lost : []
        if (resumed.length > 0) seen.resumes++
        lost = []
        feed([{ type: 'mqtt.connected', sessionPresent: o.sessionPresent, resumed }])
        // their outcomes come as those of this connection's publishes
        inFlight.unshift(...resumed)
        break
      }
      case 'drop':
        lose()
        connecting = false
        connected = false
        feed([{ type: 'mqtt.closed', error: new SdkError('remote.connection_reset', 'gone') }])
        break
      case 'stop':
      case 'start':
        if (o.op === 'stop' && first.machine.state.tag === 'online') seen.stops++
        feed([{ type: o.op }])
        break
      case 'toggleInterface':
        extra = !extra
        seen.interfaceChanges++
        feed([
          extra
            ? { type: 'addInterface', iface: ifaces.srvStream }
            : { type: 'removeInterface', name: ifaces.srvStream.name },
        ])
        break
      case 'server':
        // the broker delivers on a connection that is up
        if (!connected) break
        seen.serverMessages++
        feed([serverMessage(o)])
        break
    }
  }
  return {
    now: () => now,
    play,
    get issued() {
      return peer.issued
    },
  }
}
