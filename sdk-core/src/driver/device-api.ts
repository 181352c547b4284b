/**
 * @module device API: what everything above a runtime programs against (the agent, the serial
 * bridge, examples). Each runtime's device façade implements `AstarteDevice`; nothing above a
 * runtime names a runtime's class. Server-owned data arrives as `ServerMessage`s; bad server
 * data is an event, never a throw, and the device keeps running (spec §3.8).
 */
import type { Issue, SdkError } from '../errors.js'
import type { Interface, Ownership } from '../interface/model.js'
import type { AbortSignalLike } from '../ports.js'
import type {
  InterfacePaths,
  InterfaceValue,
  IsDeviceOwned,
  ObjectPaths,
  ObjectValue,
} from '../interface/typed.js'
import type { DeviceMetrics as MachineMetrics, DeviceStateTag } from '../device/types.js'
import type { AstarteObjectValue, AstarteValue } from '../value/types.js'

/** Options of the device's lifecycle calls: each can be abandoned through its signal. */
export interface SignalOptions {
  readonly signal?: AbortSignalLike
}

/** Options of `send` and `sendObject`. */
export interface SendOptions {
  /** Only for mappings with `explicit_timestamp` (and then required). */
  readonly timestamp?: Date
  /** Stops waiting for the outcome; the value itself may already be queued or sent. */
  readonly signal?: AbortSignalLike
}

/** Options of `messages()`. */
export interface MessageStreamOptions {
  readonly signal?: AbortSignalLike
  /** Items kept while the consumer is busy; past it the oldest are dropped. Default 10 000. */
  readonly maxBuffered?: number
}

/** Server-owned data received by the device. */
export type ServerMessage =
  | {
      readonly type: 'individual'
      readonly interfaceName: string
      readonly path: string
      readonly value: AstarteValue
      readonly timestamp?: Date
    }
  | {
      readonly type: 'object'
      readonly interfaceName: string
      readonly path: string
      readonly value: AstarteObjectValue
      readonly timestamp?: Date
    }
  | { readonly type: 'unset'; readonly interfaceName: string; readonly path: string }

/** The machine's state tags, plus `closed` once `close()` ran. */
export type DeviceStateName = DeviceStateTag | 'closed'

/** The machine's counters, plus what the device itself drops. */
export type DeviceApiMetrics = Omit<MachineMetrics, 'lastError'> & {
  /** Server messages dropped because a `messages()` consumer was too slow. */
  readonly streamDropped: number
  readonly lastError?: SdkError
}

/** A cached property value, decoded. */
export interface PropertyEntry {
  readonly interfaceName: string
  readonly path: string
  readonly ownership: Ownership
  readonly value: AstarteValue
}

/** Event name → payload, for `device.on(name, listener)`. */
export interface DeviceEvents {
  /** Server-owned data (same items as `device.messages()`). */
  data: ServerMessage
  /** Server data that didn't match its interface; the device ignored it and keeps running. */
  dataError: {
    readonly interfaceName: string
    readonly path: string
    readonly issues: readonly Issue[]
  }
  connected: { readonly sessionPresent?: boolean }
  /** The full sync (or flush) after a connect is done: queued data is flowing. */
  synced: Record<string, never>
  disconnected: { readonly error?: SdkError }
  stateChanged: { readonly state: DeviceStateName }
  /** Something degraded that the device handles by itself (e.g. its store can't write). */
  warning: { readonly message: string; readonly ctx: Readonly<Record<string, unknown>> }
  /** A failure the device can't recover from alone (e.g. its credentials secret was refused). */
  error: SdkError
}

export type DeviceEventName = keyof DeviceEvents

/**
 * The value `send`/`setProperty` accept at path `P` of `T`: checked at compile time for
 * `defineInterface` definitions (never for server-owned ones), any Astarte value otherwise.
 */
export type DeviceValue<T extends Interface, P extends string> =
  IsDeviceOwned<T> extends false ? never : InterfaceValue<T, P>

/** An interface named by its name or by its definition. */
export type InterfaceRef = string | { readonly name: string }

/** One Astarte device, whatever runtime it runs on. */
export interface AstarteDevice {
  readonly realm: string
  readonly deviceId: string
  /**
   * `idle`, `pairing`, `connecting`, `syncing`, `online`, `backoff`, `stopping`, `error` (the
   * machine's states), or `closed` after `close()`.
   */
  readonly state: DeviceStateName
  /** The interfaces the device currently introspects. */
  interfaces(): Interface[]
  metrics(): DeviceApiMetrics
  /**
   * Starts the device: pairing, MQTT connection and sync. Resolves once synced; failing
   * connections are retried with backoff, so it rejects only on abort, `disconnect()`/`close()`,
   * or an error the device can't recover from (also the `error` event).
   */
  connect(options?: SignalOptions): Promise<void>
  /** Disconnects cleanly; queued data stays queued. `connect()` may be called again. */
  disconnect(options?: SignalOptions): Promise<void>
  /** Disconnects, stops timers, ends `messages()` iterators, closes the store. Idempotent. */
  close(options?: SignalOptions): Promise<void>
  /**
   * Sends one value on a device-owned individual datastream. Resolves when the value is safe:
   * on disk for `retention: stored`, acknowledged otherwise (written, for QoS 0).
   */
  send<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    value: DeviceValue<T, P>,
    options?: SendOptions,
  ): Promise<void>
  /** Sends an object aggregate on `path` (the instantiated common prefix, spec §3.2). */
  sendObject<T extends Interface, P extends ObjectPaths<T>>(
    iface: T | string,
    path: P,
    value: IsDeviceOwned<T> extends false ? never : ObjectValue<T>,
    options?: SendOptions,
  ): Promise<void>
  /** Sets a device-owned property; cached persistently and re-sent on every full sync. */
  setProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    value: DeviceValue<T, P>,
    options?: SignalOptions,
  ): Promise<void>
  /** Unsets a device-owned property whose mapping has `allow_unset`. */
  unsetProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
    options?: SignalOptions,
  ): Promise<void>
  /** The cached value of a property (either ownership), or `undefined` when not set. */
  getProperty<T extends Interface, P extends InterfacePaths<T>>(
    iface: T | string,
    path: P,
  ): InterfaceValue<T, P> | undefined
  /** Every cached property of the current interfaces, decoded. */
  properties(filter?: {
    readonly ownership?: Ownership
    readonly interfaceName?: string
  }): PropertyEntry[]
  /** Server-owned data as an async iterator; ends on abort or `close()`. */
  messages(options?: MessageStreamOptions): AsyncIterableIterator<ServerMessage>
  /**
   * Adds (or replaces with another version) an interface at run time (spec §3.3); rejects with
   * `local.unsupported_interface` when one of its mappings is encrypted (spec §1.2).
   */
  addInterface(iface: Interface): Promise<void>
  /** Removes an interface at run time; its cached properties are dropped. */
  removeInterface(ref: InterfaceRef): Promise<void>
  on<K extends DeviceEventName>(event: K, listener: (payload: DeviceEvents[K]) => void): unknown
  off<K extends DeviceEventName>(event: K, listener: (payload: DeviceEvents[K]) => void): unknown
}
