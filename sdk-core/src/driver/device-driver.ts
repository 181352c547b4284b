/**
 * @module device driver: the one host-neutral device around the `DeviceMachine`, shared by every
 * runtime. It validates user input before anything is queued, feeds the machine through the
 * `InputQueue` (group commit), lets the `ActionRunner` perform the machine's actions through the
 * host's ports, and turns machine events into the device API's events. A runtime's façade adds
 * only what is its host's: how to open a device, and how to emit events.
 */
import { assertNever, SdkError } from '../errors.js'
import type { Issue, Result } from '../errors.js'
import { unsupported, type DeviceMachine } from '../device/device-machine.js'
import type { DeviceEvent, DeviceInput, OpId } from '../device/types.js'
import type { Interface, Ownership } from '../interface/model.js'
import { anyIssue } from '../interface/issue.js'
import { checkSupportedInterface } from '../interface/supported.js'
import type { AbortSignalLike, Clock, Scheduler, Store, Timers } from '../ports.js'
import { decodePayload } from '../value/payload-decode.js'
import type { AstarteValue, Validated } from '../value/types.js'
import { validateIndividual, validateObject, validateUnset } from '../value/validate.js'
import { ActionRunner, type ActionRunnerPorts, type TlsMaterial } from './action-runner.js'
import type {
  DeviceApiMetrics,
  DeviceEventName,
  DeviceEvents,
  DeviceStateName,
  InterfaceRef,
  MessageStreamOptions,
  PropertyEntry,
  SendOptions,
  ServerMessage,
  SignalOptions,
} from './device-api.js'
import { mapIdTable, type IdTable, type IdTableFactory } from '../device/id-table.js'
import { InputQueue } from './input-queue.js'
import type { MessageSink, MessageStreamFactory } from './message-stream.js'

/** How long `close()` waits for a clean disconnect before it closes anyway. */
const CLOSE_GRACE_MS = 5000

/** Everything a runtime hands the driver. */
export interface DeviceDriverOptions {
  readonly realm: string
  readonly deviceId: string
  readonly interfaces: readonly Interface[]
  readonly machine: DeviceMachine
  readonly store: Store
  /** Releases the store; called once, by `close()`. */
  readonly closeStore: () => void
  /** Runs `fn` in one store transaction (its writes durable when it returns); default: none. */
  readonly batch?: <T>(fn: () => T) => T
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly timers: Timers
  /** The ports the machine's actions are performed with (MQTT, HTTP, crypto, credentials). */
  readonly ports: Omit<ActionRunnerPorts, 'clock' | 'timers'>
  /**
   * `createMessageStream`, for `messages()`; without it `messages()` throws `local.unsupported`
   * and a bundle leaves the async iterator out (a device reading its data with `data` events).
   */
  readonly messageStream?: MessageStreamFactory
  /** The table of the sends awaiting their outcome; default a `Map` (see `id-table.ts`). */
  readonly idTable?: IdTableFactory
  /** The device's stored certificate and key, when it has them. */
  readonly tls?: TlsMaterial
  /**
   * Delivers one event to the device's listeners (the façade's emitter). `received` says, for
   * `error`, that a waiting `connect()` rejected with it (the error is not unhandled then).
   */
  readonly emit: <K extends DeviceEventName>(
    event: K,
    payload: DeviceEvents[K],
    received: boolean,
  ) => void
}

interface PendingSend {
  resolve(): void
  reject(error: SdkError): void
  readonly signal?: AbortSignalLike
  readonly onAbort?: () => void
}

/** `validateIndividual`, `validateObject` or `validateUnset` (which ignores value and options). */
type Validator = (
  iface: Interface,
  path: string,
  value: unknown,
  options: SendOptions | undefined,
) => Result<Validated>

type Watcher = <K extends DeviceEventName>(event: K, payload: DeviceEvents[K]) => void

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
  // the detail inside the sentence: a device bundle that drops sentences drops it too
  const detail = `couldn't ${what} ${interfaceName}${path}${issues[0] === undefined ? '' : `: ${issues[0].message}`}`
  return new SdkError('local.invalid_value', detail, { ctx: { interfaceName, path }, issues })
}

/** A machine event's fields but its `type`: the payload of the device API's event of the same news. */
function fieldsOf<E extends { readonly type: string }>(event: E): Omit<E, 'type'> {
  const { type: _type, ...fields } = event
  return fields
}

/**
 * What an operation abandoned through `signal` rejects with: the signal's reason, or an
 * `SdkError` `local.aborted` on an engine whose signals carry none.
 */
export function abortReason(signal: AbortSignalLike): unknown {
  return (
    signal.reason ?? new SdkError('local.aborted', "couldn't finish: the operation was aborted")
  )
}

/** One Astarte device on any host: the implementation behind every runtime's device façade. */
export class DeviceDriver {
  readonly realm: string
  readonly deviceId: string
  readonly #machine: DeviceMachine
  readonly #runner: ActionRunner
  readonly #queue: InputQueue
  readonly #store: Store
  readonly #closeStore: () => void
  readonly #timers: Timers
  readonly #emit: DeviceDriverOptions['emit']
  readonly #messageStream: MessageStreamFactory | undefined
  readonly #interfaces = new Map<string, Interface>()
  readonly #streams = new Set<MessageSink<ServerMessage>>()
  readonly #watchers = new Set<Watcher>()
  // by OpId: ascending and mostly settled in order
  readonly #pending: IdTable<PendingSend>
  #nextOpId = 1
  // `connect()` calls waiting: each receives a failure as its rejection
  #connecting = 0
  #closed = false
  #closing = false
  #synced = false
  #streamDropped = 0
  #lastError: SdkError | undefined

  constructor(options: DeviceDriverOptions) {
    this.realm = options.realm
    this.deviceId = options.deviceId
    this.#machine = options.machine
    this.#store = options.store
    this.#closeStore = options.closeStore
    this.#timers = options.timers
    this.#emit = options.emit
    this.#messageStream = options.messageStream
    this.#pending = (options.idTable ?? mapIdTable)<PendingSend>()
    for (const iface of options.interfaces) this.#interfaces.set(iface.name, iface)
    this.#queue = new InputQueue({
      machine: options.machine,
      clock: options.clock,
      scheduler: options.scheduler,
      batch: options.batch,
      perform: (action) => this.#runner.run(action),
      settled: (opId, error) => this.#settle(opId, error),
    })
    this.#runner = new ActionRunner(
      { ...options.ports, clock: options.clock, timers: options.timers },
      options.tls,
      (input) => this.#queue.feed(input),
      (event) => this.#onMachineEvent(event),
    )
  }

  get state(): DeviceStateName {
    return this.#closed ? 'closed' : this.#machine.state.tag
  }

  interfaces(): Interface[] {
    return [...this.#interfaces.values()]
  }

  metrics(): DeviceApiMetrics {
    const { lastError = this.#lastError, ...counters } = this.#machine.metrics()
    return {
      ...counters,
      streamDropped: this.#streamDropped,
      ...(lastError === undefined ? {} : { lastError }),
    }
  }

  /** @throws SdkError `local.unsupported` when the runtime gave no `messageStream`. */
  messages(options: MessageStreamOptions = {}): AsyncIterableIterator<ServerMessage> {
    const create =
      this.#messageStream ??
      unsupported("iterate messages: this device has no messageStream; listen to 'data'")
    const { iterable, sink } = create<ServerMessage>(
      options,
      () => this.#streams.delete(sink),
      () => this.#streamDropped++,
    )
    if (this.#closed) sink.close()
    else this.#streams.add(sink)
    return iterable
  }

  connect(options: SignalOptions = {}): Promise<void> {
    if (this.#closed)
      return Promise.reject(new SdkError('local.closed', "couldn't connect: the device is closed"))
    const { signal } = options
    if (signal?.aborted === true) return Promise.reject(abortReason(signal))
    if (this.#synced) return Promise.resolve()
    if (this.state === 'stopping') return this.#stopped(signal).then(() => this.connect(options))
    const connected = this.#until(
      signal,
      (event, payload) => {
        if (event === 'synced') return true
        if (event === 'error') return payload as SdkError
        if (event !== 'stateChanged') return undefined
        const { state } = payload as DeviceEvents['stateChanged']
        if (state !== 'closed' && state !== 'idle') return undefined
        return state === 'closed' || this.#closing
          ? new SdkError('local.closed', "couldn't connect: the device was closed")
          : new SdkError('local.disconnected', "couldn't connect: disconnect() was called")
      },
      true,
    )
    this.#feed({ type: 'start' })
    return connected
  }

  disconnect(options: SignalOptions = {}): Promise<void> {
    if (this.#closed || STOPPED_STATES.has(this.state)) return Promise.resolve()
    const { signal } = options
    if (signal?.aborted === true) return Promise.reject(abortReason(signal))
    const stopped = this.#stopped(signal)
    this.#feed({ type: 'stop' })
    return stopped
  }

  /** Resolves once the machine is stopped (the machine ignores `start` until then). */
  #stopped(signal: AbortSignalLike | undefined): Promise<void> {
    return this.#until(signal, (event, payload) =>
      event === 'stateChanged' &&
      STOPPED_STATES.has((payload as DeviceEvents['stateChanged']).state)
        ? true
        : undefined,
    )
  }

  /**
   * Waits for the event `outcome` answers (`true` resolves, an error rejects) or for `signal`'s
   * abort. A `connecting` wait counts as one `connect()` waiting, and its abort stops the device.
   */
  #until(
    signal: AbortSignalLike | undefined,
    outcome: (...args: Parameters<Watcher>) => true | SdkError | undefined,
    connecting = false,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (result: unknown): void => {
        if (!this.#watchers.delete(watcher)) return
        if (connecting) this.#connecting--
        signal?.removeEventListener('abort', onAbort)
        if (result === true) resolve()
        else reject(result)
      }
      const watcher: Watcher = (event, payload) => {
        const result = outcome(event, payload)
        if (result !== undefined) done(result)
      }
      const onAbort = (): void => {
        done(abortReason(signal as AbortSignalLike))
        if (connecting) this.#feed({ type: 'stop' })
      }
      this.#watchers.add(watcher)
      if (connecting) this.#connecting++
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  // Not `async`: lowered to ES5 (Espruino), an async function is a generator state machine over
  // two helpers (`__awaiter`, `__generator`) the prelude doesn't carry; a promise chain is the
  // same steps.
  close(options: SignalOptions = {}): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closing = true
    // a host timer, not a timeout signal: it holds itself alive until it fires
    return new Promise<void>((resolve) => {
      const timer = this.#timers.set(resolve, CLOSE_GRACE_MS)
      const finish = (): void => {
        this.#timers.clear(timer)
        options.signal?.removeEventListener('abort', finish)
        resolve()
      }
      options.signal?.addEventListener('abort', finish, { once: true })
      this.disconnect(options).then(finish, finish)
    }).then(() => {
      if (this.#closed) return
      // sends still waiting for their group commit are stored before the store closes
      this.#queue.flush()
      this.#closed = true
      this.#queue.close()
      this.#runner.close()
      const closed = new SdkError('local.closed', "couldn't finish sending: the device was closed")
      // each settled send, each closed stream, leaves its table
      for (const [opId] of this.#pending.entries()) this.#settle(opId, closed)
      for (const sink of this.#streams) sink.close()
      this.#closeStore()
      this.#notify('stateChanged', { state: 'closed' })
    })
  }

  send(ref: InterfaceRef, path: string, value: unknown, options?: SendOptions): Promise<void> {
    return this.#submit('send', ref, path, 'datastream', validateIndividual, value, options)
  }

  sendObject(
    ref: InterfaceRef,
    path: string,
    value: unknown,
    options?: SendOptions,
  ): Promise<void> {
    return this.#submit('send', ref, path, 'datastream', validateObject, value, options)
  }

  setProperty(
    ref: InterfaceRef,
    path: string,
    value: unknown,
    options?: SignalOptions,
  ): Promise<void> {
    return this.#submit('set', ref, path, 'properties', validateIndividual, value, options)
  }

  unsetProperty(ref: InterfaceRef, path: string, options?: SignalOptions): Promise<void> {
    return this.#submit('unset', ref, path, 'properties', validateUnset, undefined, options)
  }

  getProperty(ref: InterfaceRef, path: string): AstarteValue | undefined {
    const iface = this.#interfaces.get(interfaceNameOf(ref))
    if (iface === undefined || iface.type !== 'properties') return undefined
    const stored = this.#store.properties.get(iface.name, path)
    if (stored === undefined || stored.major !== iface.major) return undefined
    const decoded = decodePayload(iface, path, stored.payload)
    return decoded.ok && decoded.value.kind === 'individual' ? decoded.value.value : undefined
  }

  properties(
    filter: { readonly ownership?: Ownership; readonly interfaceName?: string } = {},
  ): PropertyEntry[] {
    const out: PropertyEntry[] = []
    for (const { interfaceName, path, ownership } of this.#store.properties.list(
      filter.ownership,
    )) {
      if (filter.interfaceName !== undefined && interfaceName !== filter.interfaceName) continue
      const value = this.getProperty(interfaceName, path)
      if (value !== undefined) out.push({ interfaceName, path, ownership, value })
    }
    return out
  }

  /**
   * Adds (or replaces with another version) a validated interface at run time (spec §3.3).
   * Rejects with `local.unsupported_interface`, nothing changed, when a mapping is encrypted;
   * with `local.unsupported` on a machine without `interfaceChanges`.
   */
  addInterface(iface: Interface): Promise<void> {
    try {
      this.#assertChangeable('add an interface')
      checkSupportedInterface(iface)
    } catch (e) {
      return Promise.reject(e)
    }
    this.#interfaces.set(iface.name, iface)
    this.#feed({ type: 'addInterface', iface })
    return Promise.resolve()
  }

  removeInterface(ref: InterfaceRef): Promise<void> {
    const name = interfaceNameOf(ref)
    try {
      this.#assertChangeable('remove an interface')
      if (!this.#interfaces.delete(name)) {
        throw new SdkError(
          'local.unknown_interface',
          `couldn't remove interface ${name}: not in the introspection`,
          { ctx: { interfaceName: name } },
        )
      }
    } catch (e) {
      return Promise.reject(e)
    }
    this.#feed({ type: 'removeInterface', name })
    return Promise.resolve()
  }

  #feed(input: DeviceInput): void {
    if (!this.#closed) this.#queue.feed(input)
  }

  #assertChangeable(what: string): void {
    if (this.#closed) throw new SdkError('local.closed', `couldn't ${what}: the device is closed`)
    if (!this.#machine.acceptsInterfaceChanges)
      unsupported('change the interfaces: this device has no interfaceChanges')
  }

  #deviceInterface(
    ref: InterfaceRef,
    what: string,
    path: string,
    type: Interface['type'],
  ): Interface {
    const name = interfaceNameOf(ref)
    // runs once per message sent: messages and closures are made only on failure
    if (this.#closed) {
      throw new SdkError('local.closed', `couldn't ${what} ${name}${path}: the device is closed`)
    }
    const iface = this.#interfaces.get(name)
    if (iface !== undefined && iface.ownership === 'device' && iface.type === type) return iface
    const issue = (code: string, message: string): SdkError =>
      invalidValue(what, name, path, [anyIssue(code, path, message)])
    if (iface === undefined)
      throw issue('interface_not_found', `interface ${name} is not in the introspection`)
    if (iface.ownership !== 'device') {
      throw issue('write_on_server_owned_interface', `interface ${name} is server-owned`)
    }
    throw issue(
      'interface_type',
      `interface ${name} is of type ${iface.type}: use ${iface.type === 'properties' ? 'setProperty/unsetProperty' : 'send/sendObject'}`,
    )
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
    value: unknown,
    options: SendOptions | undefined,
  ): Promise<void> {
    const signal = options?.signal
    // each throw in the executor is the promise's rejection
    return new Promise<void>((resolve, reject) => {
      const iface = this.#deviceInterface(ref, what, path, type)
      if (signal?.aborted === true) throw abortReason(signal)
      const v = validate(iface, path, value, options)
      if (!v.ok) throw invalidValue(what, iface.name, path, v.error)
      const opId = this.#nextOpId++
      if (signal === undefined) this.#pending.set(opId, { resolve, reject })
      else {
        // stops the wait only: the value may already be queued or on the wire
        const onAbort = (): void => {
          this.#pending.delete(opId)
          reject(abortReason(signal))
        }
        signal.addEventListener('abort', onAbort, { once: true })
        this.#pending.set(opId, { resolve, reject, signal, onAbort })
      }
      this.#feed({ type: 'send', opId, data: v.value })
    })
  }

  #settle(opId: OpId, error?: SdkError): void {
    const pending = this.#pending.get(opId)
    if (pending === undefined) return
    this.#pending.delete(opId)
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort)
    if (error === undefined) pending.resolve()
    else pending.reject(error)
  }

  /** Tells the driver's own waiters first (`connect()`, `disconnect()`), then the listeners. */
  #notify<K extends DeviceEventName>(event: K, payload: DeviceEvents[K]): void {
    const received = this.#connecting > 0
    for (const watcher of [...this.#watchers]) watcher(event, payload)
    this.#emit(event, payload, received)
  }

  #publishMessage(message: ServerMessage): void {
    this.#notify('data', message)
    for (const sink of this.#streams) sink.push(message)
  }

  #onMachineEvent(event: DeviceEvent): void {
    switch (event.type) {
      case 'connected':
        this.#notify('connected', fieldsOf(event))
        return
      case 'synced':
        this.#synced = true
        this.#notify('synced', {})
        return
      case 'disconnected':
        this.#synced = false
        if (event.error !== undefined) this.#lastError = event.error
        this.#notify('disconnected', fieldsOf(event))
        return
      case 'serverData':
        this.#publishMessage({ ...event, type: 'individual' })
        return
      case 'serverObject':
        this.#publishMessage({ ...event, type: 'object' })
        return
      case 'serverUnset':
        this.#publishMessage({ ...event, type: 'unset' })
        return
      case 'serverDataError':
        this.#notify('dataError', fieldsOf(event))
        return
      case 'warning':
        this.#notify('warning', { message: event.message, ctx: event.ctx ?? {} })
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
        this.#notify('stateChanged', fieldsOf(event))
        return
      case 'failed':
        this.#lastError = event.error
        this.#notify('error', event.error)
        return
      default:
        assertNever(event)
    }
  }
}
