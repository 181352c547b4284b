/**
 * @module device opening: resolves options (or a config file) into a ready `Device`: interfaces
 * validated, the per-device folder `<storeDir>/<deviceId>/` (0700) with its SQLite store and
 * 0600 credential files, the credentials secret (given, saved, or obtained by registering with
 * a pairing JWT on first boot). Nothing connects until `device.connect()`.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  DeviceMachine,
  SdkError,
  deviceIdFromUuidV5,
  checkDeviceId,
  checkSupportedInterface,
  ascendingIdTable,
  directPaths,
  interfaceChanges,
  storeTransactions,
  type HttpClient,
  type Logger,
  type SignalOptions,
  type Store,
} from '@astarte-ts/sdk-core'
import { loadDeviceConfig } from '../config/config-file.js'
import {
  defaultBackoff,
  defaultKeepaliveSec,
  defaultKeyAlgorithm,
  DEFAULT_DEVICE_ID_NAMESPACE,
  type DeviceOptions,
} from '../config/options.js'
import { FileCredentialsStore } from '../credentials/index.js'
import { nodeCryptoProvider } from '../crypto/index.js'
import { nodeHttpClient } from '../http/index.js'
import { loadInterfaces } from '../interfaces/load-interfaces.js'
import { consoleLogger } from '../log/index.js'
import { openSqliteStore } from '../store/index.js'
import { MqttJsTransport } from '../transport/index.js'
import { nodeInflater } from '../zlib/index.js'
import { Device } from './device.js'
import { registerDevice } from './register-device.js'
import { nodeScheduler, nodeTimers } from './host.js'

function resolveDeviceId(options: DeviceOptions): string {
  const id =
    options.deviceId ??
    (options.hardwareId === undefined
      ? undefined
      : deviceIdFromUuidV5(options.namespace ?? DEFAULT_DEVICE_ID_NAMESPACE, options.hardwareId))
  if (id === undefined) {
    throw new SdkError(
      'local.invalid_config',
      "couldn't open the device: give deviceId or hardwareId",
    )
  }
  checkDeviceId(id)
  return id
}

/** Opens a device from options or from a JSON config file (see `loadDeviceConfig`). */
export async function openDevice(
  input: DeviceOptions | string,
  openOptions: SignalOptions = {},
): Promise<Device> {
  const options = typeof input === 'string' ? await loadDeviceConfig(input) : input
  const deviceId = resolveDeviceId(options)
  const { realm, pairingUrl } = options
  const ports = options.ports ?? {}
  const logger = options.logger ?? consoleLogger({ level: 'info' })
  const interfaces = await loadInterfaces(options.interfaces)
  // before registering (whose introspection would announce them) and before the store opens
  for (const iface of interfaces) checkSupportedInterface(iface)
  const caPem =
    options.caPem ??
    (options.caFile === undefined ? undefined : await readFile(options.caFile, 'utf8'))
  const ignoreTlsErrors = options.ignoreTlsErrors ?? false
  const pairingHttp =
    ports.http ??
    nodeHttpClient({ ...(caPem === undefined ? {} : { caPem }), ignoreTlsErrors, logger })

  const dir = join(options.storeDir, deviceId)
  const credentials = new FileCredentialsStore({ dir })
  let saved = credentials.read('credentialsSecret')?.trim()
  let secret = options.credentialsSecret ?? saved
  if (secret === undefined) {
    if (options.pairingJwt === undefined) {
      throw new SdkError(
        'local.no_credentials_secret',
        "couldn't open the device: no credentials secret (give credentialsSecret, or pairingJwt to register)",
        { ctx: { deviceId } },
      )
    }
    secret = await registerDevice({
      http: pairingHttp,
      pairingUrl,
      realm,
      jwt: options.pairingJwt,
      deviceId,
      interfaces,
      ...openOptions,
    })
    credentials.write('credentialsSecret', secret)
    saved = secret
    logger.log('info', 'device registered, credentials secret saved', { deviceId, dir })
  }
  const http =
    secret === saved ? pairingHttp : savedOnceAccepted(pairingHttp, secret, credentials, logger)
  const certificatePem = credentials.read('certificate')
  const privateKeyPem = credentials.read('privateKey')
  const existing =
    certificatePem === undefined || privateKeyPem === undefined
      ? undefined
      : { certificatePem, privateKeyPem }

  let store: Store
  let closeStore: () => void
  // a store handed in has no transactions the device knows of: each write stands as made
  let batch: (<T>(fn: () => T) => T) | undefined
  if (ports.store === undefined) {
    const sqlite = openSqliteStore({
      path: join(dir, 'store.sqlite'),
      ...options.storeLimits,
      onOverflow: (event) =>
        logger.log('warn', 'dropped the oldest queued message: the queue is full', { ...event }),
    })
    store = sqlite
    closeStore = () => sqlite.close()
    batch = (fn) => sqlite.batch(fn)
  } else {
    store = ports.store
    closeStore = () => undefined
  }
  const crypto = ports.crypto ?? nodeCryptoProvider
  const backoff = options.backoff ?? defaultBackoff
  let machine: DeviceMachine
  try {
    machine = new DeviceMachine({
      realm,
      deviceId,
      interfaces,
      store,
      inflater: nodeInflater,
      logger,
      interfaceChanges,
      idTable: ascendingIdTable,
      storeTransactions,
      directPaths,
      keepaliveSec: options.keepaliveSec ?? defaultKeepaliveSec,
      ...(options.maxPayloadBytes === undefined
        ? {}
        : { maxPayloadBytes: options.maxPayloadBytes }),
      ...(options.maxInflight === undefined ? {} : { maxInflight: options.maxInflight }),
      backoff,
      random: ports.random ?? Math.random,
      pairing: {
        pairingUrl,
        credentialsSecret: secret,
        keyAlgorithm: options.keyAlgorithm ?? defaultKeyAlgorithm,
        // one set of bounds for every retry the device makes: broker and Pairing API alike
        retry: { initialDelayMs: backoff.minMs, maxDelayMs: backoff.maxMs },
        ...(existing === undefined ? {} : { existing }),
        parseCertificate: (pem: string) => crypto.parseCertificate(pem),
      },
    })
  } catch (e) {
    // an option the machine refuses (say, maxInflight) must not leave the store open
    closeStore()
    throw e
  }
  const transport = ports.transport ?? new MqttJsTransport({ logger })
  const clock = ports.clock ?? { now: () => Date.now() }
  // the device's Pairing requests end with it: one that a silent Pairing API holds would keep
  // the process up to its 30 s deadline after close()
  const closing = new AbortController()
  const deviceHttp: HttpClient = {
    request: (req) => http.request(req, { signal: closing.signal }),
  }
  return new Device({
    realm,
    deviceId,
    interfaces,
    store,
    closeStore: () => {
      closing.abort()
      closeStore()
    },
    ...(batch === undefined ? {} : { batch }),
    machine,
    clock,
    scheduler: nodeScheduler,
    timers: nodeTimers,
    ports: {
      transport,
      http: deviceHttp,
      crypto,
      logger,
      saveCredentials: async (tls) =>
        credentials.writeKeyAndCertificate(tls.privateKeyPem, tls.certificatePem),
      ...(caPem === undefined ? {} : { caPem }),
      ignoreTlsErrors,
    },
    ...(existing === undefined ? {} : { tls: existing }),
    onListenerError: (error, event) =>
      logger.log('error', 'a device event listener threw', {
        event,
        error: error instanceof Error ? error.message : String(error),
      }),
  })
}

/**
 * Keeps a secret given in the options, so later runs (and the CLI) can open the device without
 * repeating it, once the Pairing API answered a request it authenticated: a mistyped secret must
 * not overwrite the one saved that works.
 */
function savedOnceAccepted(
  http: HttpClient,
  secret: string,
  credentials: FileCredentialsStore,
  logger: Logger,
): HttpClient {
  const bearer = `Bearer ${secret}`
  let pending = true
  return {
    async request(req, options) {
      const res = await http.request(req, options)
      if (
        pending &&
        res.status >= 200 &&
        res.status < 300 &&
        req.headers.Authorization === bearer
      ) {
        pending = false
        credentials.write('credentialsSecret', secret)
        logger.log('info', 'the pairing api accepted the credentials secret: saved', {})
      }
      return res
    },
  }
}
