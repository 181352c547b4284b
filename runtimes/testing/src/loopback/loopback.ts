/**
 * @module loopback: runs a `DeviceMachine` against a `FakeAstarte` with a `ManualClock`, no
 * network. Inputs go through sdk-core's `InputQueue`, the one every device driver uses (group
 * commit, direct paths, send outcomes); its scheduler runs a group's commit at once, so a test
 * sees each step finished when `feed` returns. Every action is performed in memory and its
 * outcome fed back through that queue, so outcomes arrive after the step that caused them, as
 * with a real transport. Tests can hold acknowledgements, refuse connections and drop the
 * connection at any point.
 */
import { InputQueue, SdkError, assertNever } from '@astarte-ts/sdk-core'
import type {
  DeviceAction,
  DeviceEvent,
  DeviceInput,
  DeviceMachine,
  OpId,
} from '@astarte-ts/sdk-core'
import type { ManualClock } from '../manual-clock.js'
import type { FakeAstarte } from './fake-astarte.js'
import type { FakePairing } from './fake-pairing.js'

export interface LoopbackOptions {
  readonly machine: DeviceMachine
  readonly astarte: FakeAstarte
  readonly clock: ManualClock
  /** Answers pairing actions; without it they throw. */
  readonly pairing?: FakePairing
  /** Runs `fn` in one store transaction (the store's own `batch`); default: no transaction. */
  readonly batch?: <T>(fn: () => T) => T
}

export class Loopback {
  readonly machine: DeviceMachine
  readonly astarte: FakeAstarte
  readonly clock: ManualClock
  readonly pairing: FakePairing | undefined
  /** Every event the machine emitted, in order. */
  readonly events: DeviceEvent[] = []
  /** Every action the machine returned, in order. */
  readonly actions: DeviceAction[] = []
  /** When true, QoS 1/2 publishes wait for `releaseAcks`. */
  holdAcks = false
  /**
   * When true, publishes unacknowledged at a connection loss are re-sent by the "transport"
   * with their packet ids on a resumed session [MQTT-4.4.0-1]: reported in `resumed`, not
   * delivered to Astarte again, acknowledged afterwards.
   */
  resumeInflight = false
  /** How many of the next `mqtt.connect` fail, and how. */
  refuse = { count: 0, certificateRejected: false }
  readonly #queue: InputQueue
  readonly #held: number[] = []
  #resumable: number[] = []
  #connection = 0

  constructor(options: LoopbackOptions) {
    this.machine = options.machine
    this.astarte = options.astarte
    this.clock = options.clock
    this.pairing = options.pairing
    this.#queue = new InputQueue({
      machine: options.machine,
      clock: options.clock,
      scheduler: { defer: (fn) => fn() },
      ...(options.batch === undefined ? {} : { batch: options.batch }),
      perform: (action) => {
        this.actions.push(action)
        this.#perform(action)
      },
      settled: (opId, error) => this.#settled(opId, error),
    })
  }

  /** Feeds `input` and everything that follows from it, until the machine is quiet. */
  feed(input: DeviceInput): void {
    this.#queue.feed(input)
  }

  /** A send's outcome, recorded as the event the machine reports it with. */
  #settled(opId: OpId, error?: SdkError): void {
    const event: DeviceEvent =
      error === undefined ? { type: 'sendCompleted', opId } : { type: 'sendFailed', opId, error }
    this.actions.push({ type: 'event', event })
    this.events.push(event)
  }

  /** Moves the clock, firing timers. */
  advance(ms: number): void {
    this.clock.advance(ms)
  }

  /** Acknowledges up to `count` held publishes, oldest first. */
  releaseAcks(count = this.#held.length): void {
    for (const publishId of this.#held.splice(0, count)) {
      this.feed({ type: 'mqtt.published', publishId })
    }
  }

  get heldAcks(): number {
    return this.#held.length
  }

  /** The network drops: the session survives at the broker; held acks are lost. */
  dropConnection(
    error = new SdkError('remote.connection_reset', "couldn't keep the connection"),
  ): void {
    if (!this.astarte.connected) return
    this.astarte.disconnect('dropped')
    this.#closed(error)
  }

  /** Events of one type. */
  eventsOf<T extends DeviceEvent['type']>(type: T): Extract<DeviceEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<DeviceEvent, { type: T }> => e.type === type)
  }

  #closed(error?: SdkError): void {
    this.#connection++
    this.#resumable = this.resumeInflight ? this.#held.splice(0) : []
    this.#held.length = 0
    this.feed(error === undefined ? { type: 'mqtt.closed' } : { type: 'mqtt.closed', error })
  }

  #perform(action: DeviceAction): void {
    switch (action.type) {
      case 'mqtt.connect': {
        if (this.refuse.count > 0) {
          this.refuse.count--
          const message = "couldn't connect: refused by a test"
          const error = new SdkError('remote.connect_refused', message)
          const { certificateRejected } = this.refuse
          this.feed({ type: 'mqtt.connectFailed', error, certificateRejected })
          return
        }
        const connection = ++this.#connection
        const { sessionPresent } = this.astarte.connect(
          (m) => this.feed({ type: 'mqtt.message', topic: m.topic, payload: m.payload }),
          (reason) => {
            if (connection !== this.#connection) return
            const message = `couldn't stay connected: ${reason}`
            this.#closed(new SdkError('remote.forced_disconnect', message))
          },
        )
        // CONNACK precedes the messages the session queued
        const resumed = sessionPresent ? this.#resumable : []
        this.#resumable = []
        this.feed({ type: 'mqtt.connected', sessionPresent, resumed })
        for (const publishId of resumed) {
          if (this.holdAcks) this.#held.push(publishId)
          else this.feed({ type: 'mqtt.published', publishId })
        }
        this.astarte.flushOffline()
        return
      }
      case 'mqtt.subscribe':
        this.astarte.subscribe(action.filters)
        this.feed({ type: 'mqtt.subscribed', requestId: action.requestId })
        return
      case 'mqtt.unsubscribe':
        this.astarte.unsubscribe(action.filters)
        return
      case 'mqtt.publish':
        if (!this.astarte.connected) return
        this.astarte.publishFromDevice({
          topic: action.topic,
          payload: action.payload,
          qos: action.qos,
        })
        if (this.holdAcks && action.qos > 0) this.#held.push(action.publishId)
        else if (this.astarte.connected) {
          this.feed({ type: 'mqtt.published', publishId: action.publishId })
        }
        return
      case 'mqtt.disconnect':
        this.astarte.disconnect('device disconnect')
        this.#closed()
        return
      case 'timer.set':
        this.clock.set(action.timerId, action.atMs, () =>
          this.feed({ type: 'timer', timerId: action.timerId }),
        )
        return
      case 'timer.cancel':
        this.clock.cancel(action.timerId)
        return
      case 'http':
      case 'crypto.createKeyAndCsr':
      case 'credentials.save':
        if (this.pairing === undefined) {
          throw new Error(`the loopback has no pairing peer: ${action.type}`)
        }
        this.feed(this.pairing.answer(action))
        return
      case 'event':
        this.events.push(action.event)
        return
      default:
        assertNever(action)
    }
  }
}
