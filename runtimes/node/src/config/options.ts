/**
 * @module device options: everything a `Device` needs, with the defaults the SDK applies.
 * Secrets (credentials secret, pairing JWT) are accepted here but never logged or echoed.
 */
import type {
  Clock,
  CryptoProvider,
  HttpClient,
  Interface,
  KeyAlgorithm,
  Logger,
  MqttTransport,
  Store,
} from '@astarte-ts/sdk-core'

/**
 * Where interfaces come from: a path to a `.json` file or to a directory of them, a parsed
 * `Interface`, a `defineInterface` definition, or interface JSON as an object.
 */
export type InterfaceSource = string | Interface | { readonly iface: Interface } | object

/** Bounds of the durable queue of `retention: stored` messages (SQLite). */
export interface StoreLimits {
  readonly maxStoredMessages?: number
  readonly maxStoredBytes?: number
  /** What happens when full: drop the oldest message (default) or refuse the new one. */
  readonly overflow?: 'drop-oldest' | 'reject-new'
  /** SQLite's page cache in bytes; default 512 KiB. */
  readonly cacheBytes?: number
  /** WAL size that triggers a checkpoint and that the WAL is truncated to; default 1 MiB. */
  readonly walBytes?: number
}

/** Adapters to use instead of the Node ones: for fault-injection and load tests. */
export interface DevicePorts {
  readonly transport?: MqttTransport
  readonly http?: HttpClient
  readonly crypto?: CryptoProvider
  /** Replaces the SQLite store opened under `storeDir`. */
  readonly store?: Store
  /** Source of randomness for backoff jitter; `Math.random` by default. */
  readonly random?: () => number
  /**
   * The time fed to the core and used to arm timers; `Date.now` by default. Timers are real
   * `setTimeout`s measured against this clock, so tests can drive both with mocked timers.
   */
  readonly clock?: Clock
}

/** Options of {@link Device.open}. Exactly one of `deviceId` or `hardwareId` is needed. */
export interface DeviceOptions {
  readonly realm: string
  /** Pairing API root, e.g. `https://api.example.com/pairing`. */
  readonly pairingUrl: string
  /** The 22-character Astarte device id. */
  readonly deviceId?: string | undefined
  /** A stable hardware identifier; the device id is its UUIDv5 in `namespace`. */
  readonly hardwareId?: string | undefined
  /** UUID namespace for `hardwareId`; the SDK's documented default when absent. */
  readonly namespace?: string | undefined
  /** The device's credentials secret; read from the store dir when absent. */
  readonly credentialsSecret?: string | undefined
  /**
   * First boot: a JWT with the `a_pa` claim. When no secret is known the device registers
   * itself, saves the secret (0600) in the store dir and continues.
   */
  readonly pairingJwt?: string | undefined
  readonly interfaces: readonly InterfaceSource[]
  /** Directory holding one folder per device: SQLite store and credential files. */
  readonly storeDir: string
  /** PEM file of the CA that signed the broker and Pairing API certificates. */
  readonly caFile?: string | undefined
  readonly caPem?: string | undefined
  /** Development only: skip TLS certificate checks. Logs a warning at every connect. */
  readonly ignoreTlsErrors?: boolean
  /** MQTT keepalive (spec §3.4 recommends 30 s). */
  readonly keepaliveSec?: number
  /**
   * Largest BSON payload one send may produce; larger sends reject with
   * `local.payload_too_large` before anything is queued. Default 65 535, Astarte's broker
   * `max_message_size` (spec §2.3).
   */
  readonly maxPayloadBytes?: number
  /**
   * Most publishes in flight at once: QoS 1 and 2 until acknowledged, queued QoS 0 ones until
   * written to the socket (a `discard` QoS 0 publish takes no room); further sends wait in order,
   * none is dropped for lack of room. 1 to 65 535 (MQTT packet ids). Default 100, the
   * `max_inflight_messages` Astarte sets on a device's session (spec §3.1). VerneMQ counts a
   * device's unfinished QoS 2 exchanges against it: while that many of its `unique` publishes await
   * their PUBREL, it holds back its own QoS 1 and 2 messages to the device. Mosquitto 2.0.11 takes
   * at most `max_inflight_messages` (20 by default) unfinished QoS 2 publishes from an MQTT 3.1.1
   * client and drops the others while acknowledging them: against Mosquitto, keep this window at
   * most its `max_inflight_messages`. The window also bounds what a crash sends twice and what
   * waits in memory for an ack. Measured against Mosquitto over mutual TLS
   * (`bench/src/inflight-sweep.ts`, bench README): at QoS 0 no window costs anything; at QoS 1 a
   * window of 10 halves the throughput, from 50 to 1 000 the ratio to raw MQTT.js stays near 0.7,
   * and only a window holding a whole burst (65 535 for 50 000 sends) brings the broker's CPU per
   * message down to raw MQTT.js's (0.87); at QoS 2 such a burst costs Mosquitto twenty times the
   * CPU per message it spends at any window up to 1 000. Raise it only for a broker that grants
   * more.
   */
  readonly maxInflight?: number
  /** Retry bounds for reconnects and Pairing API calls (exponential, full jitter). */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number }
  readonly storeLimits?: StoreLimits
  /** Key type of the device certificate: EC P-256 (default) or RSA-2048. */
  readonly keyAlgorithm?: KeyAlgorithm
  readonly logger?: Logger
  readonly ports?: DevicePorts
}

export const defaultKeepaliveSec = 30
export const defaultBackoff = { minMs: 1000, maxMs: 60_000 } as const
export const defaultKeyAlgorithm: KeyAlgorithm = 'ec-p256'

/** UUID namespace for `hardwareId` → device id when none is given (same as `astarte-device id`). */
export const DEFAULT_DEVICE_ID_NAMESPACE = 'cf2189d1-eb82-4c9c-b605-6621f1bdbb39'
