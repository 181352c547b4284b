/**
 * @module device: the Moddable device, sdk-core's `DeviceDriver` with listeners, opened from the
 * factory-provisioned credentials, interfaces compiled on the host, `Preference` storage, the
 * MQTT session over `SecureSocket`, Pairing over `http`, and `Timer`.
 */
import {
  DeviceDriver,
  createMessageStream,
  DeviceMachine,
  loadCompiledInterface,
  SessionTransport,
  type ByteStreamConnector,
  type DeviceEventName,
  type DeviceEvents,
  type HttpClient,
  type Inflater,
  type Logger,
  type MqttSessionStore,
  type Store,
} from '@astarte-ts/sdk-core'
import { secureSocketConnector } from './byte-stream.js'
import {
  provisionedCrypto,
  readProvisionedCredentials,
  saveCertificate,
  type ProvisionedCredentials,
} from './credentials.js'
import { moddableHttpClient } from './http.js'
import {
  openPreferenceSessionStore,
  openPreferenceStore,
  type StoreLimits,
} from './preference-store.js'
import { moddableScheduler, moddableTimers } from './timers.js'
import { moddableInflater } from './zlib.js'
import Preference from 'preference'

export interface ModdableDeviceOptions {
  /** Tables written by `astarte-device interface compile`. */
  readonly interfaces: readonly unknown[]
  /** Default: `readProvisionedCredentials()` (the `astarte` preferences). */
  readonly credentials?: ProvisionedCredentials
  /** Default: `Preference` storage bounded by `storeLimits`. */
  readonly store?: Store
  readonly storeLimits?: StoreLimits
  /**
   * Where the MQTT session outlives a reboot; default `Preference` (`astms`). Without it, a
   * `stored` message whose acknowledgement a reboot interrupted is sent again after it.
   */
  readonly sessionStore?: MqttSessionStore
  /** Default: `trace` lines. */
  readonly logger?: Logger
  /** MQTT keepalive; default 30 s. */
  readonly keepaliveSec?: number
  /** Reconnect delay bounds; default 1 s and 60 s. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number }
  /** Publishes awaiting their ack at most; default 10 (a small heap). */
  readonly maxInflight?: number
  /**
   * How purge-properties payloads come (spec §3.7): `zlib` (default; the manifest includes
   * Moddable's zlib) or `plaintext`, where the broker (Astarte ≥ 1.3) honours the capability.
   */
  readonly purgeFormat?: 'zlib' | 'plaintext'
  /** Development switch: skip broker and Pairing certificate checks. */
  readonly ignoreTlsErrors?: boolean
  /** Host services, for tests and other sockets. */
  readonly connector?: ByteStreamConnector
  readonly http?: HttpClient
  readonly inflater?: Inflater
}

/** `trace` output; `ctx` carries no secrets (the core's rule). */
const traceLogger: Logger = {
  log: (level, message, ctx) => trace(`astarte ${level} ${message} ${JSON.stringify(ctx ?? {})}\n`),
}

type Listener = (payload: never) => void

/** One Astarte device on Moddable: `ModdableDevice.open(options)`, then `connect()`. */
export class ModdableDevice extends DeviceDriver {
  readonly #listeners: Map<string, Set<Listener>>

  /** Opens the device (nothing connects until `connect()`). */
  static open(options: ModdableDeviceOptions): ModdableDevice {
    return new ModdableDevice(options)
  }

  constructor(options: ModdableDeviceOptions) {
    const credentials = options.credentials ?? readProvisionedCredentials()
    const { realm, deviceId, caPem } = credentials
    const interfaces = options.interfaces.map(loadCompiledInterface)
    const store = options.store ?? openPreferenceStore(Preference, options.storeLimits)
    const logger = options.logger ?? traceLogger
    const ignoreTlsErrors = options.ignoreTlsErrors ?? false
    const clock = { now: () => Date.now() }
    const backoff = options.backoff ?? { minMs: 1000, maxMs: 60_000 }
    const crypto = provisionedCrypto(credentials)
    const tls =
      credentials.certificatePem === undefined
        ? undefined
        : { certificatePem: credentials.certificatePem, privateKeyPem: credentials.privateKeyPem }
    const machine = new DeviceMachine({
      realm,
      deviceId,
      interfaces,
      store,
      inflater: options.inflater ?? moddableInflater,
      logger,
      keepaliveSec: options.keepaliveSec ?? 30,
      backoff,
      maxInflight: options.maxInflight ?? 10,
      random: Math.random,
      purgeFormat: options.purgeFormat ?? 'zlib',
      pairing: {
        pairingUrl: credentials.pairingUrl,
        credentialsSecret: credentials.credentialsSecret,
        keyAlgorithm: 'ec-p256',
        retry: { initialDelayMs: backoff.minMs, maxDelayMs: backoff.maxMs },
        ...(tls === undefined ? {} : { existing: tls }),
        parseCertificate: crypto.parseCertificate,
      },
    })
    const listeners = new Map<string, Set<Listener>>()
    super({
      realm,
      deviceId,
      interfaces,
      machine,
      store,
      closeStore: () => undefined,
      messageStream: createMessageStream,
      clock,
      scheduler: moddableScheduler,
      timers: moddableTimers,
      ports: {
        transport: new SessionTransport({
          connector: options.connector ?? secureSocketConnector,
          timers: moddableTimers,
          clock,
          logger,
          sessionStore:
            options.sessionStore ??
            openPreferenceSessionStore(Preference, (key, bytes) =>
              logger.log('warn', "couldn't keep an mqtt session record", { key, bytes }),
            ),
        }),
        http: options.http ?? moddableHttpClient({ caPem, ignoreTlsErrors }),
        crypto,
        logger,
        saveCredentials: saveCertificate,
        ...(caPem === undefined ? {} : { caPem }),
        ignoreTlsErrors,
      },
      ...(tls === undefined ? {} : { tls }),
      emit: (event, payload) => {
        for (const listener of listeners.get(event) ?? []) {
          try {
            listener(payload as never)
          } catch (e) {
            logger.log('error', 'a device event listener threw', { event, error: String(e) })
          }
        }
      },
    })
    this.#listeners = listeners
  }

  /** Calls `listener` with every `event` until `off`. */
  on<K extends DeviceEventName>(event: K, listener: (payload: DeviceEvents[K]) => void): this {
    const set = this.#listeners.get(event) ?? new Set()
    set.add(listener as Listener)
    this.#listeners.set(event, set)
    return this
  }

  off<K extends DeviceEventName>(event: K, listener: (payload: DeviceEvents[K]) => void): this {
    this.#listeners.get(event)?.delete(listener as Listener)
    return this
  }
}
