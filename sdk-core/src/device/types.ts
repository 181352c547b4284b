/**
 * @module device types: the inputs a runtime feeds to the `DeviceMachine`, the actions it gets
 * back and the events those carry. Names shared with the pairing sub-machine (`http`, `crypto.*`,
 * `credentials.*`, `timer*`) are its own, forwarded verbatim.
 */
import type { Issue, SdkError } from '../errors.js'
import type { Interface } from '../interface/model.js'
import type { Inflater, Logger, Store } from '../ports.js'
import type { BrokerAddress } from '../pairing/broker-url.js'
import type {
  PairingAction,
  PairingConfig,
  PairingInput,
  StoredCredentials,
} from '../pairing/machine/types.js'
import type { PurgeFormat } from '../protocol/purge.js'
import type { Qos } from '../protocol/qos.js'
import type { AstarteObjectValue, AstarteValue, Validated } from '../value/types.js'
import type { DirectPaths } from './direct.js'
import type { IdTableFactory } from './id-table.js'
import type { InterfaceChanges } from './interfaces.js'
import type { DeviceState } from './state.js'
import type { StoreTransactions } from './store-transaction.js'

/** The caller's handle on one `send`; answered by `sendCompleted` or `sendFailed`. */
export type OpId = number

/** Pairing settings; realm, device id and randomness come from the device configuration. */
export type DevicePairingConfig = Omit<
  PairingConfig,
  'realm' | 'deviceId' | 'random' | 'credentials'
> & {
  /** Credentials saved by an earlier run. */
  readonly existing?: StoredCredentials
}

export interface DeviceConfig {
  readonly realm: string
  readonly deviceId: string
  readonly interfaces: readonly Interface[]
  readonly store: Store
  readonly inflater: Inflater
  readonly logger?: Logger
  /** Obtain broker address and credentials from Pairing (spec §4)… */
  readonly pairing?: DevicePairingConfig
  /** …or connect to this broker with credentials the runtime already holds. */
  readonly broker?: BrokerAddress
  /** MQTT keepalive; default 30 s (spec §3.4). */
  readonly keepaliveSec?: number
  /** Reconnect delay bounds: full jitter in `[0, min(maxMs, minMs·2^attempt))`; 1 s and 60 s. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number }
  /** A connection lasting this long resets the backoff; default 60 s. */
  readonly stableAfterMs?: number
  /** Uniform in `[0, 1)`. */
  readonly random: () => number
  /**
   * Publishes awaiting their ack at most; default 100, the broker's `max_inflight_messages`. A
   * `discard` QoS 0 publish takes no room: the transport paces it (see `Outbox`). The window
   * also bounds what a crash sends twice; larger ones gained no throughput the bench could tell
   * from its noise (runtime-node's `maxInflight` has the measurements and the brokers' limits).
   */
  readonly maxInflight?: number
  /** Purge payload format agreed through capabilities (spec §3.7); default `zlib`. */
  readonly purgeFormat?: PurgeFormat
  /**
   * The largest BSON payload a send may produce, in bytes; default 65 535, Astarte's broker
   * `max_message_size` (spec §2.3). Lower it for a broker configured tighter; above the
   * broker's limit a message would be dropped or cost the connection.
   */
  readonly maxPayloadBytes?: number
  /**
   * `interfaceChanges` to accept `addInterface` and `removeInterface` (spec §3.3); without it the
   * interfaces are those given here, for good, and a change is refused (`local.unsupported`).
   */
  readonly interfaceChanges?: InterfaceChanges
  /**
   * `storeTransactions` for a runtime that runs inputs in store transactions (a `batch`, group
   * commit); without it the machine writes each change as it is made.
   */
  readonly storeTransactions?: StoreTransactions
  /** `directPaths` for the send fast paths (`DeviceMachine.sendDirect`, `ackDirect`). */
  readonly directPaths?: DirectPaths
  /** The table of the publishes in flight; default a `Map` (see `id-table.ts`). */
  readonly idTable?: IdTableFactory
}

/** Options of `mqtt.connect`; the runtime adds the TLS material (spec §3.1). */
export interface DeviceConnectOptions {
  readonly host: string
  readonly port: number
  /** `<realm>/<device_id>`. */
  readonly clientId: string
  readonly keepaliveSec: number
  readonly clean: false
}

type PairingAnswer = Extract<
  PairingInput,
  {
    type:
      | 'http.response'
      | 'http.failed'
      | 'crypto.keyAndCsr'
      | 'crypto.failed'
      | 'credentials.saved'
      | 'credentials.saveFailed'
  }
>

export type DeviceInput =
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  | {
      readonly type: 'mqtt.connected'
      readonly sessionPresent: boolean
      /**
       * Publish ids of earlier connections that the transport completes itself (the port's
       * `MqttConnected.resumed`: on a resumed session, re-sent with their packet ids
       * [MQTT-4.4.0-1]); their `mqtt.published` or `mqtt.publishFailed` follows. Others (or all,
       * when absent) are re-published by the machine: QoS 2 ones may then be ingested twice.
       */
      readonly resumed?: readonly number[]
    }
  | {
      readonly type: 'mqtt.connectFailed'
      readonly error: SdkError
      readonly certificateRejected: boolean
    }
  | { readonly type: 'mqtt.closed'; readonly error?: SdkError }
  | { readonly type: 'mqtt.subscribed'; readonly requestId: string }
  /** Acked (QoS 1, 2) or written (QoS 0). */
  | { readonly type: 'mqtt.published'; readonly publishId: number }
  | { readonly type: 'mqtt.publishFailed'; readonly publishId: number; readonly error: SdkError }
  | { readonly type: 'mqtt.message'; readonly topic: string; readonly payload: Uint8Array }
  | { readonly type: 'timer'; readonly timerId: string }
  /** Data the façade validated; see `DeviceMachine` for when `sendCompleted` follows. */
  | { readonly type: 'send'; readonly opId: OpId; readonly data: Validated }
  /** Adds an interface, or replaces the one with the same name (another version). */
  | { readonly type: 'addInterface'; readonly iface: Interface }
  | { readonly type: 'removeInterface'; readonly name: string }
  | PairingAnswer

export type DeviceEvent =
  | { readonly type: 'connected'; readonly sessionPresent: boolean }
  /** Sync done (or not needed): queued data flows from here on. */
  | { readonly type: 'synced' }
  | { readonly type: 'disconnected'; readonly error?: SdkError }
  | {
      readonly type: 'serverData'
      readonly interfaceName: string
      readonly path: string
      readonly value: AstarteValue
      readonly timestamp?: Date
    }
  | {
      readonly type: 'serverObject'
      readonly interfaceName: string
      readonly path: string
      readonly value: AstarteObjectValue
      readonly timestamp?: Date
    }
  /** A server-owned property was unset, by message or by the consumer purge list. */
  | { readonly type: 'serverUnset'; readonly interfaceName: string; readonly path: string }
  /** Server data that failed decoding or validation; it was dropped and the device runs on. */
  | {
      readonly type: 'serverDataError'
      readonly interfaceName: string
      readonly path: string
      readonly issues: readonly Issue[]
    }
  | {
      readonly type: 'warning'
      readonly message: string
      readonly ctx?: Readonly<Record<string, unknown>>
    }
  | { readonly type: 'sendCompleted'; readonly opId: OpId }
  | { readonly type: 'sendFailed'; readonly opId: OpId; readonly error: SdkError }
  | { readonly type: 'stateChanged'; readonly state: DeviceStateTag }
  /** The device stopped in `error` (e.g. pairing refused for good); `start` tries again. */
  | { readonly type: 'failed'; readonly error: SdkError }

type ForwardedPairingAction = Exclude<
  PairingAction,
  { type: 'pairing.ready' | 'pairing.retrying' | 'pairing.failed' }
>

/** A publish to perform; its outcome comes back as `mqtt.published` or `mqtt.publishFailed`. */
export interface MqttPublishAction {
  readonly type: 'mqtt.publish'
  readonly publishId: number
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: Qos
}

export type DeviceAction =
  | { readonly type: 'mqtt.connect'; readonly options: DeviceConnectOptions }
  | {
      readonly type: 'mqtt.subscribe'
      readonly requestId: string
      readonly filters: readonly string[]
      readonly qos: 2
    }
  | { readonly type: 'mqtt.unsubscribe'; readonly filters: readonly string[] }
  | MqttPublishAction
  | { readonly type: 'mqtt.disconnect' }
  | { readonly type: 'event'; readonly event: DeviceEvent }
  | ForwardedPairingAction

export interface DeviceMetrics {
  /** Messages waiting: stored + volatile queues and online `discard` messages not yet sent. */
  readonly queued: number
  readonly inflight: number
  /** Publishes handed to the transport (replays included). */
  readonly sent: number
  readonly acked: number
  /** Messages given up: `discard` while offline or on connection loss, expired, obsolete. */
  readonly dropped: number
  readonly reconnects: number
  readonly lastError: SdkError | undefined
}

export type DeviceStateTag = DeviceState['tag']
