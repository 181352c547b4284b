/**
 * @module device machine: one Astarte device as a sans-I/O state machine (spec §3). Inputs in,
 * actions out; it never performs I/O or reads a clock. It composes the pairing sub-machine,
 * the outbox (backpressure, retention queues) and the protocol helpers.
 */
import type { Issue } from '../errors.js'
import { SdkError } from '../errors.js'
import type { Interface } from '../interface/model.js'
import { anyIssue } from '../interface/issue.js'
import { checkSupportedInterface } from '../interface/supported.js'
import { PairingMachine } from '../pairing/machine/pairing-machine.js'
import { isPairingId } from '../pairing/machine/types.js'
import type { PairingInput } from '../pairing/machine/types.js'
import { MAX_PAYLOAD_BYTES } from '../protocol/message-size.js'
import { pruneStaleProperties } from '../protocol/property-cache.js'
import { deviceTopicPrefix } from '../protocol/topics.js'
import type { Context } from './context.js'
import { emit } from './context.js'
import type { DirectPaths } from './direct.js'
import { mapIdTable } from './id-table.js'
import type { InterfaceChanges } from './interfaces.js'
import { Outbox } from './outbox.js'
import { runPairing } from './pairing-bridge.js'
import { sendWritesStore } from './send.js'
import {
  isProbeTimer,
  isRefusal,
  portFailedAlone,
  probeStore,
  type StoreTransactions,
} from './store-transaction.js'
import { isObsolete } from './sync.js'
import { TopicCache } from './topic-cache.js'
import type { DeviceState } from './state.js'
import { idle } from './states/idle.js'
import type { Step } from './transitions.js'
import { transitions } from './transitions.js'
import type {
  DeviceAction,
  DeviceConfig,
  DeviceInput,
  DeviceMetrics,
  MqttPublishAction,
  OpId,
} from './types.js'
import type { Validated } from '../value/types.js'
import { toSdkError } from '../driver/sdk-error-of.js'

type AnyStep = Step<DeviceState, DeviceInput>

/** The outcomes of the pairing sub-machine's actions; its timers are told by their ids. */
const PAIRING_ANSWERS: ReadonlySet<DeviceInput['type']> = new Set([
  'http.response',
  'http.failed',
  'crypto.keyAndCsr',
  'crypto.failed',
  'credentials.saved',
  'credentials.saveFailed',
])

function forPairing(input: DeviceInput): boolean {
  return PAIRING_ANSWERS.has(input.type) || (input.type === 'timer' && isPairingId(input.timerId))
}

function configIssues(config: DeviceConfig): Issue[] {
  const issues: Issue[] = []
  const check = (holds: boolean, path: string, message: string): void => {
    if (!holds) issues.push(anyIssue('device_config', path, message))
  }
  const addressed = config.pairing !== undefined || config.broker !== undefined
  check(addressed, '/pairing', 'give pairing settings or a broker address')
  check((config.keepaliveSec ?? 1) > 0, '/keepaliveSec', 'keepalive must be positive')
  const window = config.maxInflight ?? 1
  // [MQTT-2.3.1-1] a publish in flight holds one of the 65 535 packet ids
  check(
    Number.isInteger(window) && window >= 1 && window <= 65_535,
    '/maxInflight',
    'maxInflight must be an integer from 1 to 65535',
  )
  const cap = config.maxPayloadBytes ?? 1
  check(
    Number.isInteger(cap) && cap >= 1,
    '/maxPayloadBytes',
    'maxPayloadBytes must be a positive integer',
  )
  const b = config.backoff
  const bounded = b === undefined || (b.minMs >= 1 && b.maxMs >= b.minMs)
  check(bounded, '/backoff', 'backoff needs 1 <= minMs <= maxMs')
  return issues
}

/** Refuses what needs an optional piece (`DeviceConfig`) the device was built without. */
export function unsupported(sentence: string): never {
  throw new SdkError('local.unsupported', `couldn't ${sentence}`)
}

/**
 * The device state machine. Feed every input with the current time; perform every returned
 * action in order and feed back its outcome. See `send.ts` for when a send completes.
 */
export class DeviceMachine {
  #state: DeviceState = idle
  readonly #ctx: Context
  readonly #changes: InterfaceChanges | undefined
  readonly #transactions: StoreTransactions | undefined
  readonly #direct: DirectPaths | undefined

  /**
   * @throws SdkError `local.invalid_config` with issues when the configuration is invalid;
   * `local.unsupported_interface` when an interface has an encrypted mapping.
   */
  constructor(config: DeviceConfig) {
    const prefix = deviceTopicPrefix(config.realm, config.deviceId)
    const issues = [...(prefix.ok ? [] : prefix.error), ...configIssues(config)]
    if (!prefix.ok || issues.length > 0) {
      throw new SdkError('local.invalid_config', "couldn't configure the device", { issues })
    }
    for (const iface of config.interfaces) checkSupportedInterface(iface)
    const counters = { sent: 0, acked: 0, dropped: 0, reconnects: 0 }
    const interfaces = new Map<string, Interface>(config.interfaces.map((i) => [i.name, i]))
    const { existing, ...pairingSettings } = config.pairing ?? {}
    const ctx: Context = {
      prefix: prefix.value,
      clientId: `${config.realm}/${config.deviceId}`,
      store: config.store,
      inflater: config.inflater,
      logger: config.logger,
      keepaliveSec: config.keepaliveSec ?? 30,
      backoff: config.backoff ?? { minMs: 1_000, maxMs: 60_000 },
      stableAfterMs: config.stableAfterMs ?? 60_000,
      random: config.random,
      purgeFormat: config.purgeFormat ?? 'zlib',
      maxPayloadBytes: config.maxPayloadBytes ?? MAX_PAYLOAD_BYTES,
      pairing:
        config.pairing === undefined
          ? undefined
          : new PairingMachine({
              ...(pairingSettings as Omit<NonNullable<DeviceConfig['pairing']>, 'existing'>),
              realm: config.realm,
              deviceId: config.deviceId,
              random: config.random,
              credentials: existing,
            }),
      broker: config.pairing === undefined ? config.broker : undefined,
      interfaces,
      outbox: new Outbox(
        config.store,
        config.maxInflight ?? 100,
        counters,
        config.idTable ?? mapIdTable,
      ),
      counters,
      lastError: undefined,
      attempt: 0,
      reconnectNow: false,
      drainTimerId: undefined,
      everConnected: false,
      propertyReplayFloor: undefined,
      floorPending: false,
      lastId: 0,
      out: [],
      pairingAfterConnect: [],
      tx: undefined,
      storeFailure: undefined,
      resync: false,
      obsolete: (message, queue) => isObsolete(ctx, message, queue),
      topics: new TopicCache(prefix.value),
    }
    this.#ctx = ctx
    this.#changes = config.interfaceChanges
    this.#transactions = config.storeTransactions
    this.#direct = config.directPaths
    // spec §3.8: entries of interfaces no longer introspected, or of another major, are stale
    pruneStaleProperties(config.store.properties, [...interfaces.values()])
  }

  /** The current state; its `tag` names it. */
  get state(): DeviceState {
    return this.#state
  }

  /**
   * Advances the machine by one input; returns the actions to perform, in order.
   *
   * When a port throws: a bounded queue refusing a send (`local.store_full`) is rethrown, having
   * changed nothing. Any other failure inside a store transaction (`beginTransaction`) is
   * rethrown too, and the runtime must roll the transaction back (`rollbackNeeded`). Outside
   * one, the writes made before it stand: the machine keeps its actions so far, fails the input
   * if it is a send, and waits for the store to write again (see `store-transaction.ts`).
   *
   * @throws SdkError `local.unsupported_interface` for an `addInterface` of an interface with an
   * encrypted mapping (`checkSupportedInterface`), `local.unsupported` for an `addInterface` or
   * `removeInterface` of a machine configured without `interfaceChanges`; nothing changed.
   */
  handle(input: DeviceInput, nowMs: number): DeviceAction[] {
    // the caller's input refused before anything changes, never taken for a port failure
    if (input.type === 'addInterface' || input.type === 'removeInterface') {
      if (this.#changes === undefined)
        unsupported('change the interfaces: this device has no interfaceChanges')
      if (input.type === 'addInterface') checkSupportedInterface(input.iface)
    }
    const ctx = this.#ctx
    const before = this.#state
    // a fresh list per input costs less than emptying one (V8 drops an emptied array's storage),
    // and a step that throws leaves no half-built actions behind for later calls
    const out: DeviceAction[] = []
    ctx.out = out
    try {
      if (forPairing(input)) {
        this.#state = runPairing(ctx, input as PairingInput, nowMs, before)
      } else if (input.type === 'timer' && isProbeTimer(ctx, input.timerId)) {
        probeStore(ctx, before.tag, nowMs)
      } else {
        const step = (transitions[before.tag][input.type] ??
          this.#changes?.[input.type as keyof InterfaceChanges]) as AnyStep | undefined
        if (step !== undefined) this.#state = step(ctx, before, input, nowMs)
      }
    } catch (e) {
      // a port threw (e.g. the store's disk is full)
      ctx.out = []
      if (isRefusal(e)) throw e
      const error = toSdkError(e)
      if (ctx.tx !== undefined) {
        ctx.tx.outs.push(out)
        ctx.tx.failed = { input, error }
        throw e
      }
      ctx.out = out
      portFailedAlone(ctx, input, error, this.#state.tag, nowMs)
    }
    ctx.tx?.outs.push(out)
    if (this.#state.tag !== before.tag) emit(ctx, { type: 'stateChanged', state: this.#state.tag })
    if (ctx.pairingAfterConnect.length > 0 && this.#state.tag !== 'connecting') {
      for (const action of ctx.pairingAfterConnect) out.push(action)
      ctx.pairingAfterConnect = []
    }
    return out
  }

  /** Whether `addInterface` and `removeInterface` are accepted (`DeviceConfig.interfaceChanges`). */
  get acceptsInterfaceChanges(): boolean {
    return this.#changes !== undefined
  }

  /** Whether the machine takes store transactions (`DeviceConfig.storeTransactions`). */
  get transactional(): boolean {
    return this.#transactions !== undefined
  }

  #storeTransactions(): StoreTransactions {
    return (
      this.#transactions ??
      unsupported('open a store transaction: this device has no storeTransactions')
    )
  }

  /**
   * A runtime opens a store transaction around the inputs it handles next (group commit): the
   * machine records what they do that rests on its writes, until `transactionCommitted` or
   * `transactionFailed`. Inputs handled outside one are written as they come.
   *
   * @throws SdkError `local.unsupported` when configured without `storeTransactions`.
   */
  beginTransaction(): void {
    this.#storeTransactions().begin(this.#ctx)
  }

  /** True once a port failed inside the open transaction: it must be rolled back. */
  get rollbackNeeded(): boolean {
    return this.#ctx.tx?.failed !== undefined
  }

  /**
   * The transaction committed. Returns the actions it adds: none, or the warning that the store
   * accepts writes again (after a failure).
   */
  transactionCommitted(): DeviceAction[] {
    return this.#storeTransactions().committed(this.#ctx, this.#state.tag)
  }

  /**
   * The transaction rolled back with `error` (its commit failed, or a port threw in it; the
   * store's state is the one before it). The machine undoes what rested on its writes and
   * returns the actions to perform INSTEAD of those `handle` returned in the transaction: the
   * same, in order, except publishes of stored rows (never performed), completions of sends it
   * stored (now failures) and, after them, what the store failure adds (a warning, a probe
   * timer). See `store-transaction.ts`.
   */
  transactionFailed(error: SdkError, nowMs: number): DeviceAction[] {
    const ctx = this.#ctx
    ctx.out = []
    const actions = this.#storeTransactions().failed(ctx, error, this.#state.tag, nowMs)
    ctx.out = []
    return actions
  }

  /**
   * The direct path of a `send`, for a runtime's hot path (optional: `handle` gives the same
   * outcome; `undefined` always without `DeviceConfig.directPaths`). On an online device, a value of a `discard` datastream with nothing waiting before
   * it and room in the window goes in flight here: the result is the one action `handle` would
   * have returned, its publish. `undefined` means anything else would happen; nothing changed,
   * and the send goes to `handle`. It takes no time: a message published at once is ordered
   * against nothing, so the caller need not read its clock.
   */
  sendDirect(opId: OpId, data: Validated): MqttPublishAction | undefined {
    return this.#direct?.send(this.#ctx, this.#state, opId, data)
  }

  /**
   * The direct path of an `mqtt.published` ack (optional, like `sendDirect`): the publish of a
   * `discard` send acknowledged on an online device with nothing waiting, no drain under way.
   * Returns that send's `OpId`: `handle` would have returned its `sendCompleted` event alone.
   * `undefined` means anything else would happen; nothing changed, and the ack goes to `handle`.
   */
  ackDirect(publishId: number): OpId | undefined {
    return this.#direct?.ack(this.#ctx, this.#state, publishId)
  }

  /**
   * Whether handling `input` now may write the store, for runtimes that group writes in one
   * transaction: a send of a property or a `stored` datastream (spec §3.9), the ack of a
   * stored-queue row or of a control publish, and any input but a send or an ack. A hint only: a
   * write it did not announce (a queued row dropped for expiry) is committed by itself.
   */
  writesStore(input: DeviceInput): boolean {
    if (input.type === 'send') return sendWritesStore(input.data)
    return input.type !== 'mqtt.published' || this.#ctx.outbox.ackWritesStore(input.publishId)
  }

  metrics(): DeviceMetrics {
    const { counters, outbox, lastError } = this.#ctx
    return { queued: outbox.waiting, inflight: outbox.inflight, ...counters, lastError }
  }
}
