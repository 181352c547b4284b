/**
 * @module device façade: the Node `Device`, sdk-core's `DeviceDriver` behind a real
 * `EventEmitter`. Everything a device does is the driver's; the façade adds what is Node's: how a
 * device is opened (options or a config file, SQLite, credential files), interfaces loaded from
 * files, and Node's event conventions (`events.once(device, 'synced')` works, and an `error`
 * nobody handles is thrown, as an emitter's is).
 */
import { EventEmitter } from 'node:events'
import {
  DeviceDriver,
  ascendingIdTable,
  createMessageStream,
  type AstarteDevice,
  type DeviceApiMetrics,
  type DeviceDriverOptions,
  type DeviceEventName,
  type DeviceEvents,
  type DeviceStateName,
  type DeviceValue,
  type Interface,
  type InterfacePaths,
  type InterfaceRef,
  type InterfaceValue,
  type IsDeviceOwned,
  type MessageStreamOptions,
  type ObjectPaths,
  type ObjectValue,
  type Ownership,
  type PropertyEntry,
  type SendOptions,
  type ServerMessage,
  type SignalOptions,
} from '@astarte-ts/sdk-core'
import type { DeviceOptions, InterfaceSource } from '../config/options.js'
import { interfaceFromSource, loadInterfaces } from '../interfaces/load-interfaces.js'
import { openDevice } from './open-device.js'

/** What `Device.open` hands to the constructor: the driver's options, less its emitter. */
export type DeviceParts = Omit<DeviceDriverOptions, 'emit'> & {
  readonly onListenerError: (error: unknown, event: string) => void
}

/** One Astarte device. Create it with `Device.open(options | configFile)`. */
export class Device extends EventEmitter implements AstarteDevice {
  readonly realm: string
  readonly deviceId: string
  readonly #driver: DeviceDriver
  readonly #onListenerError: DeviceParts['onListenerError']

  /**
   * Opens a device from options or a JSON config file: interfaces validated, store and
   * credentials ready (registering on first boot when given a pairing JWT). Doesn't connect.
   * `signal` abandons a first-boot registration still waiting on the Pairing API (the open then
   * rejects with the signal's reason, nothing saved); a device already opened is not affected.
   */
  static open(options: DeviceOptions | string, openOptions?: SignalOptions): Promise<Device> {
    return openDevice(options, openOptions)
  }

  /** @internal use `Device.open`. */
  constructor(parts: DeviceParts) {
    super()
    const { onListenerError, ...options } = parts
    this.realm = parts.realm
    this.deviceId = parts.deviceId
    this.#onListenerError = onListenerError
    this.#driver = new DeviceDriver({
      ...options,
      messageStream: createMessageStream,
      idTable: ascendingIdTable,
      emit: (event, payload, received) => this.#deliver(event, payload, received),
    })
  }

  /**
   * Delivers one event (see `emit`). An `error` with no
   * listener that no `connect()` received is emitted again outside the device's own stack, where
   * `EventEmitter` throws it: unhandled, it ends the process, as Node's emitters do.
   */
  #deliver<K extends DeviceEventName>(event: K, payload: DeviceEvents[K], received: boolean): void {
    if (event === 'error' && this.listenerCount('error') === 0) {
      if (!received) setImmediate(() => this.emit('error', payload))
      return
    }
    try {
      this.emit(event, payload)
    } catch (e) {
      this.#onListenerError(e, event)
    }
  }

  /**
   * Calls every listener of `event`, each isolated: one that throws is reported (the device's
   * logger) and the others still run. `error` keeps `EventEmitter`'s own rule.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') return super.emit(event, ...args)
    const listeners = this.rawListeners(event)
    for (const listener of listeners) {
      try {
        ;(listener as (...a: unknown[]) => unknown).apply(this, args)
      } catch (e) {
        this.#onListenerError(e, String(event))
      }
    }
    return listeners.length > 0
  }

  override on<K extends DeviceEventName>(
    event: K,
    listener: (payload: DeviceEvents[K]) => void,
  ): this {
    return super.on(event, listener)
  }

  override once<K extends DeviceEventName>(
    event: K,
    listener: (payload: DeviceEvents[K]) => void,
  ): this {
    return super.once(event, listener)
  }

  override off<K extends DeviceEventName>(
    event: K,
    listener: (payload: DeviceEvents[K]) => void,
  ): this {
    return super.off(event, listener)
  }

  /**
   * `idle`, `pairing`, `connecting`, `syncing`, `online`, `backoff`, `stopping`, `error` (the core
   * machine's states), or `closed` after `close()`.
   */
  get state(): DeviceStateName {
    return this.#driver.state
  }

  /** The interfaces the device currently introspects. */
  interfaces(): Interface[] {
    return this.#driver.interfaces()
  }

  metrics(): DeviceApiMetrics {
    return this.#driver.metrics()
  }

  /**
   * Server-owned data as an async iterator: `for await (const m of device.messages({ signal }))`.
   * Ends when `signal` aborts or the device is closed. Each iterator buffers what it has not
   * consumed yet, up to `maxBuffered` (then the oldest are dropped and counted).
   */
  messages(options: MessageStreamOptions = {}): AsyncIterableIterator<ServerMessage> {
    return this.#driver.messages(options)
  }

  /**
   * Starts the device: pairing (first boot or renewal), MQTT connection and sync. Resolves once
   * synced; a failing first connection is retried with backoff like any later one, so this only
   * rejects on `signal` abort, on `disconnect()` or `close()`, or on an error the device can't
   * recover from (also reported as the `error` event). Called while a `disconnect()` is under
   * way, it starts the device again once that one finished.
   */
  connect(options: SignalOptions = {}): Promise<void> {
    return this.#driver.connect(options)
  }

  /**
   * Disconnects cleanly (queued data stays queued, `stored` on disk). Resolves when the
   * connection is closed; `connect()` can be called again afterwards.
   */
  disconnect(options: SignalOptions = {}): Promise<void> {
    return this.#driver.disconnect(options)
  }

  /**
   * Disconnects (waiting 5 s at most, or until `signal` aborts), stops every timer, ends
   * `messages()` iterators and a Pairing request still waiting, closes the store. Sends still
   * waiting for an acknowledgement reject with `local.closed` (their `stored` data stays on disk
   * and is replayed by the next process). Idempotent. Listeners stay registered.
   */
  close(options: SignalOptions = {}): Promise<void> {
    return this.#driver.close(options)
  }

  /**
   * Sends one value on a device-owned individual datastream. Resolves when the value is safe:
   * on disk for `retention: stored`, acknowledged by the broker otherwise (written, for QoS 0).
   * Invalid values reject with `local.invalid_value` (issues attached) before anything is queued.
   * `signal` stops the wait only: the value may already be queued or sent.
   */
  send<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    value: DeviceValue<T, P>,
    options?: SendOptions,
  ): Promise<void> {
    return this.#driver.send(iface, path, value, options)
  }

  /** Sends an object aggregate on `path` (the instantiated common prefix, spec §3.2). */
  sendObject<T extends Interface, P extends ObjectPaths<T>>(
    iface: T | string,
    path: P,
    value: IsDeviceOwned<T> extends false ? never : ObjectValue<T>,
    options?: SendOptions,
  ): Promise<void> {
    return this.#driver.sendObject(iface, path, value, options)
  }

  /** Sets a device-owned property; cached persistently and re-sent on every full sync. */
  setProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    value: DeviceValue<T, P>,
    options?: SignalOptions,
  ): Promise<void> {
    return this.#driver.setProperty(iface, path, value, options)
  }

  /** Unsets a device-owned property whose mapping has `allow_unset`. */
  unsetProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    options?: SignalOptions,
  ): Promise<void> {
    return this.#driver.unsetProperty(iface, path, options)
  }

  /** The cached value of a property (either ownership), or `undefined` when not set. */
  getProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
  ): InterfaceValue<T, P> | undefined {
    return this.#driver.getProperty(iface, path) as InterfaceValue<T, P> | undefined
  }

  /** Every cached property of the current interfaces, decoded. */
  properties(
    filter: { readonly ownership?: Ownership; readonly interfaceName?: string } = {},
  ): PropertyEntry[] {
    return this.#driver.properties(filter)
  }

  /**
   * Adds (or replaces with another version) an interface at run time, from a file or a
   * definition: the device publishes the new introspection and subscribes to it when
   * server-owned (spec §3.3).
   */
  async addInterface(source: InterfaceSource): Promise<void> {
    const added =
      typeof source === 'string' ? await loadInterfaces([source]) : [interfaceFromSource(source)]
    for (const iface of added) await this.#driver.addInterface(iface)
  }

  /** Removes an interface at run time; its cached properties are dropped. */
  removeInterface(ref: InterfaceRef): Promise<void> {
    return this.#driver.removeInterface(ref)
  }
}
