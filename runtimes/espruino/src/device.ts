/**
 * @module device: opens an Astarte device on Espruino from the provisioned credentials and the
 * compiled interfaces: sdk-core's `DeviceDriver` over the adapters of this package, behind a
 * small event emitter (`device.on("data", …)`), with the driver's promise-returning methods.
 */
import {
  DeviceDriver,
  DeviceMachine,
  SdkError,
  SessionTransport,
  loadCompiledInterface,
} from '@astarte-ts/sdk-core'
import type {
  AstarteValue,
  DeviceEventName,
  SendOptions,
  DeviceEvents,
  Inflater,
  Interface,
  Logger,
  QueuedMessage,
} from '@astarte-ts/sdk-core'
import { loadCredentials, saveCertificate, storedCrypto } from './credentials.js'
import type { EspruinoModules } from './espruino.js'
import { builtInModules } from './espruino.js'
import { espruinoClock, espruinoScheduler, espruinoTimers } from './host.js'
import { espruinoHttpClient } from './http.js'
import { handshakeErrors } from './handshake-errors.js'
import { tlsConnector } from './socket.js'
import { openStorageSessionStore, openStorageStore } from './storage-store.js'

export interface EspruinoDeviceOptions {
  /** Interface tables from `astarte-device interface compile`. */
  readonly interfaces: readonly unknown[]
  /** Espruino's modules; the engine's own by default. */
  readonly modules?: EspruinoModules
  /** Storage file of the provisioned credentials; default `astarte.json`. */
  readonly credentialsFile?: string
  /** Bytes the `stored` retention ring keeps at most; default 4096. */
  readonly maxStoredBytes?: number
  /** MQTT keepalive; default 30 s. */
  readonly keepaliveSec?: number
  /** Reconnect delay bounds; default 1 s to 60 s. */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number }
  /** Development switch: skip the broker's certificate checks (no CA needed). */
  readonly ignoreTlsErrors?: boolean
  readonly logger?: Logger
}

type Listener = (payload: unknown) => void

declare const console: { log(...args: unknown[]): void }

// No zlib on Espruino: the device asks for plaintext purge lists (capabilities, spec §3.7), so
// nothing is ever inflated.
const noZlib: Inflater = {
  inflate: () => {
    throw new SdkError('local.unsupported', "couldn't inflate: no zlib on Espruino")
  },
  deflate: () => {
    throw new SdkError('local.unsupported', "couldn't deflate: no zlib on Espruino")
  },
}

const printLogger: Logger = {
  log: (level, message, ctx) =>
    console.log(`[${level}] ${message}`, ctx === undefined ? '' : JSON.stringify(ctx)),
}

/** One Astarte device on Espruino. */
export class EspruinoDevice {
  readonly driver: DeviceDriver
  readonly #listeners: Record<string, Listener[]> = {}
  readonly #logger: Logger

  constructor(options: EspruinoDeviceOptions) {
    const modules = options.modules ?? builtInModules()
    const logger = options.logger ?? printLogger
    this.#logger = logger
    const storage = modules.Storage
    const file = options.credentialsFile
    const credentials = loadCredentials(storage, file)
    const interfaces: Interface[] = options.interfaces.map(loadCompiledInterface)
    const store = openStorageStore(storage, {
      ...(options.maxStoredBytes === undefined ? {} : { maxStoredBytes: options.maxStoredBytes }),
      onOverflow: (m: QueuedMessage) =>
        logger.log('warn', 'dropped the oldest stored message: the ring is full', {
          topic: m.topic,
        }),
    })
    const crypto = storedCrypto(credentials)
    const backoff = options.backoff ?? { minMs: 1000, maxMs: 60000 }
    const tls = {
      certificatePem: credentials.certificatePem,
      privateKeyPem: credentials.privateKeyPem,
    }
    const ignoreTlsErrors = options.ignoreTlsErrors ?? false
    const machine = new DeviceMachine({
      realm: credentials.realm,
      deviceId: credentials.deviceId,
      interfaces,
      store,
      inflater: noZlib,
      purgeFormat: 'plaintext',
      logger,
      keepaliveSec: options.keepaliveSec ?? 30,
      backoff,
      random: Math.random,
      pairing: {
        pairingUrl: credentials.pairingUrl,
        credentialsSecret: credentials.credentialsSecret,
        keyAlgorithm: 'ec-p256',
        retry: { initialDelayMs: backoff.minMs, maxDelayMs: backoff.maxMs },
        existing: tls,
        parseCertificate: crypto.parseCertificate,
      },
    })
    // one listener on `process` for both: MQTT's socket and Pairing's requests
    const handshakes = modules.process === undefined ? undefined : handshakeErrors(modules.process)
    const transport = new SessionTransport({
      connector: tlsConnector(modules.tls, espruinoTimers, handshakes),
      timers: espruinoTimers,
      clock: espruinoClock,
      logger,
      // the device's outbox paces publishes; a small window keeps RAM bounded
      maxInflight: 16,
      sessionStore: openStorageSessionStore(storage, 'astarte', (key, bytes) =>
        logger.log('warn', "couldn't keep an mqtt session record", { key, bytes }),
      ),
    })
    const caPem = credentials.caPem
    this.driver = new DeviceDriver({
      realm: credentials.realm,
      deviceId: credentials.deviceId,
      interfaces,
      machine,
      store,
      closeStore: () => undefined,
      clock: espruinoClock,
      scheduler: espruinoScheduler,
      timers: espruinoTimers,
      ports: {
        transport,
        http: espruinoHttpClient(
          modules.http,
          ignoreTlsErrors ? undefined : caPem,
          handshakes,
          espruinoTimers,
        ),
        crypto,
        logger,
        saveCredentials: (renewed) => {
          saveCertificate(storage, credentials, renewed.certificatePem, file)
          return Promise.resolve()
        },
        ...(caPem === undefined ? {} : { caPem }),
        ignoreTlsErrors,
      },
      tls,
      emit: (event, payload, received) => this.#emit(event, payload, received),
    })
  }

  get state(): string {
    return this.driver.state
  }

  connect(): Promise<void> {
    return this.driver.connect()
  }

  disconnect(): Promise<void> {
    return this.driver.disconnect()
  }

  close(): Promise<void> {
    return this.driver.close()
  }

  send(iface: string, path: string, value: unknown, options?: SendOptions): Promise<void> {
    return this.driver.send(iface, path, value, options)
  }

  sendObject(iface: string, path: string, value: object, options?: SendOptions): Promise<void> {
    return this.driver.sendObject(iface, path, value, options)
  }

  setProperty(iface: string, path: string, value: unknown): Promise<void> {
    return this.driver.setProperty(iface, path, value)
  }

  unsetProperty(iface: string, path: string): Promise<void> {
    return this.driver.unsetProperty(iface, path)
  }

  getProperty(iface: string, path: string): AstarteValue | undefined {
    return this.driver.getProperty(iface, path)
  }

  /** Calls `fn` with each `event` (see sdk-core's `DeviceEvents`). */
  on<K extends DeviceEventName>(event: K, fn: (payload: DeviceEvents[K]) => void): this {
    ;(this.#listeners[event] ??= []).push(fn as Listener)
    return this
  }

  #emit(event: string, payload: unknown, received: boolean): void {
    const listeners = this.#listeners[event] ?? []
    if (event === 'error' && listeners.length === 0 && !received) {
      const e = payload as SdkError
      this.#logger.log('error', e.message, { code: e.code })
    }
    for (const fn of listeners) {
      try {
        fn(payload)
      } catch (e) {
        this.#logger.log('error', 'a device event listener threw', { event, error: String(e) })
      }
    }
  }
}

/** Opens the device (nothing connects until `device.driver.connect()`). */
export function open(options: EspruinoDeviceOptions): EspruinoDevice {
  return new EspruinoDevice(options)
}
