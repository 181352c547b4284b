/**
 * @module device façade: the promise-based `Device` over sdk-core's `DeviceMachine`. The façade
 * validates user input before anything is queued, feeds the machine with the clock's time and lets
 * the `ActionRunner` perform its actions; every machine input goes through one FIFO so that
 * listeners calling back into the device never re-enter `handle()`. Inputs that write the store
 * (the machine says which) are handled in groups, each in one store transaction (group commit): a
 * group's actions, and so the settling of its sends, run only once it committed. Sends and acks of
 * `discard`/`volatile` messages write nothing: they are handled at once, without a transaction.
 */
import {
  AscendingIdMap,
  decodePayload,
  SdkError,
  validateIndividual,
  validateObject,
  validateUnset,
  type AstarteValue,
  type Clock,
  type DeviceEvent,
  type DeviceAction,
  type MqttPublishAction,
  type DeviceInput,
  type DeviceMachine,
  type Interface,
  type InterfacePaths,
  type InterfaceValue,
  type IsDeviceOwned,
  type Issue,
  type ObjectPaths,
  type ObjectValue,
  type Ownership,
  type Result,
  type Store,
  type Validated,
} from '@astarte-ts/sdk-core'
import type { DeviceOptions, InterfaceSource } from '../config/options.js'
import { interfaceFromSource, loadInterfaces } from '../interfaces/load-interfaces.js'
import { toSdkError, type ActionRunner } from './action-runner.js'
import type { DeviceEvents, DeviceMetrics, DeviceStateName, ServerMessage } from './events.js'
import {
  createMessageStream,
  type MessageSink,
  type MessageStreamOptions,
} from './message-stream.js'
import { openDevice } from './open-device.js'
import { TypedEmitter, type Listener } from './typed-emitter.js'

const NO_ACTIONS: readonly DeviceAction[] = []

/** Options of `send` and `sendObject`. */
export interface SendOptions {
  /** Only for mappings with `explicit_timestamp` (and then required). */
  readonly timestamp?: Date
}

/** A cached property value, decoded. */
export interface PropertyEntry {
  readonly interfaceName: string
  readonly path: string
  readonly ownership: Ownership
  readonly value: AstarteValue
}

/** What `Device.open` hands to the constructor. */
export interface DeviceParts {
  readonly realm: string
  readonly deviceId: string
  readonly interfaces: readonly Interface[]
  readonly store: Store
  readonly closeStore: () => void
  /** Runs `fn` in one store transaction: its writes are durable when this returns. */
  readonly batch: <T>(fn: () => T) => T
  readonly machine: DeviceMachine
  readonly clock: Clock
  readonly makeRunner: (
    feed: (input: DeviceInput) => void,
    onEvent: (event: DeviceEvent) => void,
  ) => ActionRunner
  readonly onListenerError: (error: unknown, event: string) => void
}

interface PendingSend {
  resolve(): void
  reject(error: SdkError): void
}

type InterfaceRef = string | { readonly name: string }

/** `validateIndividual`, `validateObject` or `validateUnset` (which ignores value and options). */
type Validator = (
  iface: Interface,
  path: string,
  value: unknown,
  options: SendOptions | undefined,
) => Result<Validated>

/**
 * The value `send`/`setProperty` accept at path `P` of `T`: checked at compile time for
 * `defineInterface` definitions (never for server-owned ones), any Astarte value otherwise.
 */
export type DeviceValue<T extends Interface, P extends string> =
  IsDeviceOwned<T> extends false ? never : InterfaceValue<T, P>

const STOPPED_STATES: ReadonlySet<string> = new Set(['idle', 'error', 'closed'])

function interfaceNameOf(ref: InterfaceRef): string {
  return typeof ref === 'string' ? ref : ref.name
}

function invalidValue(
  what: string,
  interfaceName: string,
  path: string,
  issues: readonly Issue[],
): SdkError {
  const first = issues[0]
  const detail = first === undefined ? '' : `: ${first.message}`
  return new SdkError('local.invalid_value', `couldn't ${what} ${interfaceName}${path}${detail}`, {
    ctx: { interfaceName, path },
    issues,
  })
}

function runNow<T>(fn: () => T): T {
  return fn()
}

function abortError(signal: AbortSignal): unknown {
  return (
    signal.reason ?? new SdkError('local.aborted', "couldn't finish: the operation was aborted")
  )
}

/** One Astarte device. Create it with `Device.open(options | configFile)`. */
export class Device {
  readonly realm: string
  readonly deviceId: string
  readonly #machine: DeviceMachine
  readonly #clock: Clock
  readonly #runner: ActionRunner
  readonly #store: Store
  readonly #closeStore: () => void
  readonly #batch: <T>(fn: () => T) => T
  readonly #interfaces = new Map<string, Interface>()
  readonly #emitter: TypedEmitter<DeviceEvents>
  readonly #streams = new Set<MessageSink<ServerMessage>>()
  // by OpId: ascending and mostly settled in order, which a `Map` pays for with rehashing
  readonly #pending = new AscendingIdMap<PendingSend>()
  #inputs: DeviceInput[] = []
  #draining = false
  // the clock read of the pass under way, once made (see `#drain`)
  #passNowMs: number | undefined
  #flushScheduled = false
  #nextOpId = 1
  #closed = false
  #closing = false
  #synced = false
  #streamDropped = 0
  #lastError: SdkError | undefined

  /**
   * Opens a device from options or a JSON config file: interfaces validated, store and
   * credentials ready (registering on first boot when given a pairing JWT). Doesn't connect.
   */
  static open(options: DeviceOptions | string): Promise<Device> {
    return openDevice(options)
  }

  /** @internal use `Device.open`. */
  constructor(parts: DeviceParts) {
    this.realm = parts.realm
    this.deviceId = parts.deviceId
    this.#machine = parts.machine
    this.#clock = parts.clock
    this.#store = parts.store
    this.#closeStore = parts.closeStore
    this.#batch = parts.batch
    for (const iface of parts.interfaces) this.#interfaces.set(iface.name, iface)
    this.#emitter = new TypedEmitter<DeviceEvents>((e, event) =>
      parts.onListenerError(e, String(event)),
    )
    this.#runner = parts.makeRunner(
      (input) => this.#feed(input),
      (event) => this.#onMachineEvent(event),
    )
  }

  /**
   * `idle`, `pairing`, `connecting`, `syncing`, `online`, `backoff`, `stopping`, `error` (the core
   * machine's states), or `closed` after `close()`.
   */
  get state(): DeviceStateName {
    return this.#closed ? 'closed' : this.#machine.state.tag
  }

  /** The interfaces the device currently introspects. */
  interfaces(): Interface[] {
    return [...this.#interfaces.values()]
  }

  metrics(): DeviceMetrics {
    const m = this.#machine.metrics()
    const lastError = m.lastError ?? this.#lastError
    const { lastError: _core, ...counters } = m
    return {
      ...counters,
      streamDropped: this.#streamDropped,
      ...(lastError === undefined ? {} : { lastError }),
    }
  }

  on<K extends keyof DeviceEvents>(event: K, listener: Listener<DeviceEvents[K]>): () => void {
    return this.#emitter.on(event, listener)
  }

  once<K extends keyof DeviceEvents>(event: K, listener: Listener<DeviceEvents[K]>): () => void {
    return this.#emitter.once(event, listener)
  }

  off<K extends keyof DeviceEvents>(event: K, listener: Listener<DeviceEvents[K]>): void {
    this.#emitter.off(event, listener)
  }

  /**
   * Server-owned data as an async iterator: `for await (const m of device.messages({ signal }))`.
   * Ends when `signal` aborts or the device is closed. Each iterator buffers what it has not
   * consumed yet, up to `maxBuffered` (then the oldest are dropped and counted).
   */
  messages(options: MessageStreamOptions = {}): AsyncIterableIterator<ServerMessage> {
    const { iterable, sink } = createMessageStream<ServerMessage>(
      options,
      () => this.#streams.delete(sink),
      () => this.#streamDropped++,
    )
    if (this.#closed) sink.close()
    else this.#streams.add(sink)
    return iterable
  }

  /**
   * Starts the device: pairing (first boot or renewal), MQTT connection and sync. Resolves once
   * synced; a failing first connection is retried with backoff like any later one, so this only
   * rejects on `signal` abort, on `disconnect()` or `close()`, or on an error the device can't
   * recover from (also reported as the `error` event). Called while a `disconnect()` is under
   * way, it starts the device again once that one finished.
   */
  connect(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed)
      return Promise.reject(new SdkError('local.closed', "couldn't connect: the device is closed"))
    const { signal } = options
    if (signal?.aborted === true) return Promise.reject(abortError(signal))
    if (this.#synced) return Promise.resolve()
    if (this.state === 'stopping') return this.#afterStop(signal).then(() => this.connect(options))
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        offSynced()
        offError()
        offClosed()
        signal?.removeEventListener('abort', onAbort)
      }
      const offSynced = this.#emitter.on('synced', () => {
        cleanup()
        resolve()
      })
      const offError = this.#emitter.on('error', (e) => {
        cleanup()
        reject(e)
      })
      const offClosed = this.#emitter.on('stateChanged', ({ state }) => {
        if (state !== 'closed' && state !== 'idle') return
        cleanup()
        reject(
          state === 'closed' || this.#closing
            ? new SdkError('local.closed', "couldn't connect: the device was closed")
            : new SdkError('local.disconnected', "couldn't connect: disconnect() was called"),
        )
      })
      const onAbort = (): void => {
        cleanup()
        this.#feed({ type: 'stop' })
        reject(abortError(signal as AbortSignal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#feed({ type: 'start' })
    })
  }

  /**
   * Disconnects cleanly (queued data stays queued, `stored` on disk). Resolves when the
   * connection is closed; `connect()` can be called again afterwards.
   */
  disconnect(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed || STOPPED_STATES.has(this.state)) return Promise.resolve()
    const { signal } = options
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        off()
        signal?.removeEventListener('abort', onAbort)
      }
      const off = this.#emitter.on('stateChanged', ({ state }) => {
        if (!STOPPED_STATES.has(state)) return
        cleanup()
        resolve()
      })
      const onAbort = (): void => {
        cleanup()
        reject(abortError(signal as AbortSignal))
      }
      if (signal?.aborted === true) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#feed({ type: 'stop' })
    })
  }

  /** Resolves once a stop under way ended (the machine ignores `start` until then). */
  #afterStop(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const off = this.#emitter.on('stateChanged', ({ state }) => {
        if (!STOPPED_STATES.has(state)) return
        off()
        signal?.removeEventListener('abort', onAbort)
        resolve()
      })
      const onAbort = (): void => {
        off()
        reject(abortError(signal as AbortSignal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * Disconnects, stops every timer, ends `messages()` iterators, closes the store. Sends still
   * waiting for an acknowledgement reject with `local.closed` (their `stored` data stays on disk
   * and is replayed by the next process). Idempotent.
   */
  async close(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed) return
    this.#closing = true
    const grace = AbortSignal.timeout(5000)
    const signal = options.signal === undefined ? grace : AbortSignal.any([options.signal, grace])
    await this.disconnect({ signal }).catch(() => undefined)
    // sends still waiting for their group commit are stored before the store closes
    if (!this.#draining) this.#drain()
    this.#closed = true
    this.#runner.close()
    const closed = new SdkError('local.closed', "couldn't finish sending: the device was closed")
    for (const pending of this.#pending.values()) pending.reject(closed)
    this.#pending.clear()
    for (const sink of this.#streams) sink.close()
    this.#streams.clear()
    this.#closeStore()
    this.#emitter.emit('stateChanged', { state: 'closed' })
    this.#emitter.removeAllListeners()
  }

  /**
   * Sends one value on a device-owned individual datastream. Resolves when the value is safe:
   * on disk for `retention: stored`, acknowledged by the broker otherwise (written, for QoS 0).
   * Invalid values reject with `local.invalid_value` (issues attached) before anything is queued.
   */
  send<T extends Interface, P extends InterfacePaths<T>>(
    ifaceRef: T | string,
    path: P,
    value: DeviceValue<T, P>,
    options?: SendOptions,
  ): Promise<void> {
    return this.#submit('send', ifaceRef, path, 'datastream', validateIndividual, value, options)
  }

  /** Sends an object aggregate on `path` (the instantiated common prefix, spec §3.2). */
  sendObject<T extends Interface, P extends ObjectPaths<T>>(
    ifaceRef: T | string,
    path: P,
    value: IsDeviceOwned<T> extends false ? never : ObjectValue<T>,
    options?: SendOptions,
  ): Promise<void> {
    return this.#submit('send', ifaceRef, path, 'datastream', validateObject, value, options)
  }

  /** Sets a device-owned property; cached persistently and re-sent on every full sync. */
  setProperty<T extends Interface, P extends InterfacePaths<T>>(
    ifaceRef: T | string,
    path: P,
    value: DeviceValue<T, P>,
  ): Promise<void> {
    return this.#submit('set', ifaceRef, path, 'properties', validateIndividual, value)
  }

  /** Unsets a device-owned property whose mapping has `allow_unset`. */
  unsetProperty<T extends Interface, P extends InterfacePaths<T>>(
    ifaceRef: T | string,
    path: P,
  ): Promise<void> {
    return this.#submit('unset', ifaceRef, path, 'properties', validateUnset)
  }

  /** The cached value of a property (either ownership), or `undefined` when not set. */
  getProperty<T extends Interface, P extends InterfacePaths<T>>(
    ifaceRef: T | string,
    path: P,
  ): InterfaceValue<T, P> | undefined {
    const iface = this.#interfaces.get(interfaceNameOf(ifaceRef))
    if (iface === undefined || iface.type !== 'properties') return undefined
    const stored = this.#store.properties.get(iface.name, path)
    if (stored === undefined || stored.major !== iface.major) return undefined
    const decoded = decodePayload(iface, path, stored.payload)
    const value =
      decoded.ok && decoded.value.kind === 'individual' ? decoded.value.value : undefined
    return value as InterfaceValue<T, P> | undefined
  }

  /** Every cached property of the current interfaces, decoded. */
  properties(
    filter: { readonly ownership?: Ownership; readonly interfaceName?: string } = {},
  ): PropertyEntry[] {
    const out: PropertyEntry[] = []
    for (const stored of this.#store.properties.list(filter.ownership)) {
      if (filter.interfaceName !== undefined && stored.interfaceName !== filter.interfaceName)
        continue
      const value: AstarteValue | undefined = this.getProperty(stored.interfaceName, stored.path)
      if (value === undefined) continue
      out.push({
        interfaceName: stored.interfaceName,
        path: stored.path,
        ownership: stored.ownership,
        value,
      })
    }
    return out
  }

  /**
   * Adds (or replaces with another version) an interface at run time: the machine publishes the
   * new introspection and subscribes to it when server-owned (spec §3.3).
   */
  async addInterface(source: InterfaceSource): Promise<void> {
    this.#assertOpen('add an interface')
    const added =
      typeof source === 'string' ? await loadInterfaces([source]) : [interfaceFromSource(source)]
    for (const iface of added) {
      this.#interfaces.set(iface.name, iface)
      this.#feed({ type: 'addInterface', iface })
    }
  }

  /** Removes an interface at run time; its cached properties are dropped. */
  async removeInterface(ref: InterfaceRef): Promise<void> {
    this.#assertOpen('remove an interface')
    const name = interfaceNameOf(ref)
    if (!this.#interfaces.delete(name)) {
      throw new SdkError(
        'local.unknown_interface',
        `couldn't remove interface ${name}: not in the introspection`,
        {
          ctx: { interfaceName: name },
        },
      )
    }
    this.#feed({ type: 'removeInterface', name })
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new SdkError('local.closed', `couldn't ${what}: the device is closed`)
  }

  #deviceInterface(
    ref: InterfaceRef,
    what: string,
    path: string,
    type: Interface['type'],
  ): Interface {
    const name = interfaceNameOf(ref)
    // runs once per message sent: messages and closures are made only on failure
    if (this.#closed) this.#assertOpen(`${what} ${name}${path}`)
    const iface = this.#interfaces.get(name)
    if (iface !== undefined && iface.ownership === 'device' && iface.type === type) return iface
    const issue = (code: string, message: string): SdkError =>
      invalidValue(what, name, path, [{ code, path, message }])
    if (iface === undefined)
      throw issue('interface_not_found', `interface ${name} is not in the introspection`)
    if (iface.ownership !== 'device') {
      throw issue('write_on_server_owned_interface', `interface ${name} is server-owned`)
    }
    const use = iface.type === 'properties' ? 'setProperty/unsetProperty' : 'send/sendObject'
    throw issue('interface_type', `interface ${name} is of type ${iface.type}: use ${use}`)
  }

  /**
   * Validates and hands one value to the machine; every failure is a rejected promise (never a
   * synchronous throw), and nothing reaches the machine unless it validated.
   */
  #submit(
    what: string,
    ref: InterfaceRef,
    path: string,
    type: Interface['type'],
    validate: Validator,
    value?: unknown,
    options?: SendOptions,
  ): Promise<void> {
    let v: Result<Validated>
    let iface: Interface
    try {
      iface = this.#deviceInterface(ref, what, path, type)
      v = validate(iface, path, value, options)
    } catch (e) {
      return Promise.reject(e)
    }
    if (!v.ok) return Promise.reject(invalidValue(what, iface.name, path, v.error))
    const opId = this.#nextOpId++
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(opId, { resolve, reject })
      this.#feed({ type: 'send', opId, data: v.value })
    })
  }

  #feed(input: DeviceInput): void {
    if (this.#closed) return
    if (this.#draining || this.#flushScheduled) {
      this.#inputs.push(input)
      // The transport acknowledges a server message (PUBACK, PUBCOMP) as soon as this returns,
      // and the broker never sends it again: what it writes (a server property) must be committed
      // by then. So a group waiting for its commit is handled now, the message last in it.
      if (input.type === 'mqtt.message' && !this.#draining) this.#drain()
      return
    }
    if (!this.#machine.writesStore(input)) {
      // nothing is queued: handled now, and what its actions feed meanwhile right after it
      this.#drain(input)
      return
    }
    this.#inputs.push(input)
    if (input.type === 'send' || input.type === 'mqtt.published') {
      // group commit: the sends and acks of this tick share one transaction (one fsync); any
      // input arriving meanwhile waits behind them, so the machine sees the same order
      this.#flushScheduled = true
      setImmediate(() => {
        this.#flushScheduled = false
        if (!this.#closed && !this.#draining) this.#drain()
      })
      return
    }
    this.#drain()
  }

  /**
   * One pass: `first`, then every input queued or fed meanwhile. The pass reads the clock at
   * most once (`#now`): its inputs arrive within microseconds of each other (a group commit's
   * within milliseconds), and a clock read can cost a tenth of a whole send (~50 ns on the
   * bench machine).
   */
  #drain(first?: DeviceInput): void {
    this.#draining = true
    this.#passNowMs = undefined
    try {
      if (first !== undefined) this.#handleAlone(first)
      this.#drainQueued()
    } finally {
      this.#draining = false
    }
  }

  #now(): number {
    this.#passNowMs ??= this.#clock.now()
    return this.#passNowMs
  }

  #drainQueued(): void {
    while (this.#inputs.length > 0) {
      // the usual case, one ack fed while its send was handled: no new array per message
      const only = this.#inputs.length === 1 ? (this.#inputs[0] as DeviceInput) : undefined
      if (only !== undefined && !this.#machine.writesStore(only)) {
        this.#inputs.pop()
        this.#handleAlone(only)
        continue
      }
      const group = this.#inputs
      this.#inputs = []
      this.#handleGroup(group)
    }
  }

  /**
   * Handles one input that writes nothing to group (see `#handleGroup`), without a transaction:
   * the path of every send and ack of a `discard` or `volatile` message. The send and the ack of
   * an online `discard` message take the machine's direct paths when it has them (the same
   * outcome as `handle` without its action list, event objects and pump).
   */
  #handleAlone(input: DeviceInput): void {
    const machine = this.#machine
    let publish: MqttPublishAction | undefined
    let actions: readonly DeviceAction[] = NO_ACTIONS
    try {
      if (input.type === 'mqtt.published') {
        const opId = machine.ackDirect(input.publishId)
        if (opId !== undefined) return this.#settle(opId)
      }
      if (input.type === 'send') publish = machine.sendDirect(input.opId, input.data)
      if (publish === undefined) actions = machine.handle(input, this.#now())
    } catch (error) {
      if (input.type !== 'send') throw error
      this.#settle(input.opId, toSdkError(error))
      return
    }
    if (publish !== undefined) return this.#runner.run(publish)
    for (const action of actions) this.#runner.run(action)
  }

  /**
   * Handles `group` in one transaction, then performs its actions: a `stored` send resolves only
   * once its row committed, and a failed commit fails the group's sends instead. A group the
   * machine says writes nothing (sends and acks of `discard`/`volatile` messages) skips the
   * transaction (a queue row `pump` drops for expiry still commits by itself). An input the
   * machine refused (a port threw) fails its own send, or is rethrown to the caller otherwise.
   */
  #handleGroup(group: readonly DeviceInput[]): void {
    const actions: DeviceAction[] = []
    const refused: { input: DeviceInput; error: unknown }[] = []
    let commitError: SdkError | undefined
    const machine = this.#machine
    const run = group.some((input) => machine.writesStore(input)) ? this.#batch : runNow
    try {
      run(() => {
        for (const input of group) {
          try {
            for (const action of machine.handle(input, this.#now())) actions.push(action)
          } catch (error) {
            refused.push({ input, error })
          }
        }
      })
    } catch (e) {
      commitError = toSdkError(e)
    }
    const sent = new Set<number>()
    if (commitError !== undefined) for (const i of group) if (i.type === 'send') sent.add(i.opId)
    for (const action of actions) {
      const completed = action.type === 'event' && action.event.type === 'sendCompleted'
      if (completed && sent.has(action.event.opId)) this.#settle(action.event.opId, commitError)
      else this.#runner.run(action)
    }
    let rethrow: { error: unknown } | undefined
    for (const { input, error } of refused) {
      if (input.type === 'send') this.#settle(input.opId, toSdkError(error))
      else rethrow ??= { error }
    }
    if (rethrow !== undefined) throw rethrow.error
  }

  #settle(opId: number, error?: SdkError): void {
    const pending = this.#pending.get(opId)
    if (pending === undefined) return
    this.#pending.delete(opId)
    if (error === undefined) pending.resolve()
    else pending.reject(error)
  }

  #publishMessage(message: ServerMessage): void {
    this.#emitter.emit('data', message)
    for (const sink of this.#streams) sink.push(message)
  }

  #onMachineEvent(event: DeviceEvent): void {
    switch (event.type) {
      case 'connected':
        this.#emitter.emit('connected', { sessionPresent: event.sessionPresent })
        return
      case 'synced':
        this.#synced = true
        this.#emitter.emit('synced', {})
        return
      case 'disconnected':
        this.#synced = false
        if (event.error !== undefined) this.#lastError = event.error
        this.#emitter.emit('disconnected', event.error === undefined ? {} : { error: event.error })
        return
      case 'serverData':
        this.#publishMessage({
          type: 'individual',
          interfaceName: event.interfaceName,
          path: event.path,
          value: event.value,
          ...(event.timestamp === undefined ? {} : { timestamp: event.timestamp }),
        })
        return
      case 'serverObject':
        this.#publishMessage({
          type: 'object',
          interfaceName: event.interfaceName,
          path: event.path,
          value: event.value,
          ...(event.timestamp === undefined ? {} : { timestamp: event.timestamp }),
        })
        return
      case 'serverUnset':
        this.#publishMessage({
          type: 'unset',
          interfaceName: event.interfaceName,
          path: event.path,
        })
        return
      case 'serverDataError':
        this.#emitter.emit('dataError', {
          interfaceName: event.interfaceName,
          path: event.path,
          issues: event.issues,
        })
        return
      case 'warning':
        this.#emitter.emit('warning', { message: event.message, ctx: event.ctx ?? {} })
        return
      case 'sendCompleted':
        this.#settle(event.opId)
        return
      case 'sendFailed':
        this.#settle(event.opId, event.error)
        return
      case 'stateChanged':
        // left `online` (a stop under way, a lost connection): a connect() now must wait
        if (event.state !== 'online') this.#synced = false
        this.#emitter.emit('stateChanged', { state: event.state })
        return
      case 'failed':
        this.#lastError = event.error
        this.#emitter.emit('error', event.error)
        return
    }
  }
}
