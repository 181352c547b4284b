/**
 * @module sandbox: wires one running sandbox: data directory, CA, realm key, SQLite store, HTTP
 * services and (unless disabled) the MQTT broker. `stop()` releases every port and file handle.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from '@astarte-ts/sdk-core'
import { realmKeyFrom, signJwt, type RealmKey } from './auth/jwt.js'
import type { BrokerControl, SandboxContext } from './context.js'
import { writeSecretFile } from './files.js'
import { fileRoute } from './file-drop/file-route.js'
import { createHttpServer } from './http/server.js'
import { stderrLogger } from './log.js'
import { loadOrCreateCa, type PkiKind, type ServerCredentials } from './pki/ca.js'
import { installInterface } from './realm-management/install.js'
import { createRouter } from './routes.js'
import { openDb } from './store/db.js'
import { DeviceStore } from './store/devices.js'
import { InterfaceStore } from './store/interfaces.js'
import { SessionStore } from './store/sessions.js'
import { ValueStore } from './store/values.js'
import { startBroker } from './broker/broker.js'

/** Options of `startSandbox`; every field has a development-friendly default. */
export interface SandboxOptions {
  /** Address both listeners bind to and URLs name. Default `127.0.0.1`. */
  readonly host?: string
  /** HTTP port (Pairing, AppEngine, Realm Management); 0 = a free port. Default 0. */
  readonly httpPort?: number
  /** MQTT over TLS port; 0 = a free port. Default 0. */
  readonly mqttPort?: number
  /** Realm name, `^[a-z][a-z0-9]{0,47}$`. Default `test`. */
  readonly realm?: string
  /** Where state lives. Default: a fresh temporary directory, deleted by `stop()`. */
  readonly dataDir?: string
  /** Lifetime of device certificates in seconds. Default 7 884 000 (2190 h, as Astarte). */
  readonly certLifetimeSec?: number
  /** Install every `*.json` interface of this directory at start (already installed: skipped). */
  readonly interfacesDir?: string
  /** Default: one line per event on stderr. */
  readonly logger?: Logger
  /** `false`: Pairing and the CA only, for an external broker (e.g. Mosquitto). Default true. */
  readonly broker?: boolean
  /** Broker URL Pairing reports when `broker` is false, e.g. `mqtts://127.0.0.1:8883/`. */
  readonly brokerUrl?: string
  /** Realm private key PEM (EC P-256 → ES256, RSA → RS256). Default: generated, kept in dataDir. */
  readonly realmPrivateKeyPem?: string
  /**
   * Key type of the CA, of every signature it makes and of the broker's certificate: `'ec'`
   * (P-256, ECDSA) or `'rsa'` (RSA-2048, PKCS#1 v1.5 with SHA-256), for boards whose TLS has no
   * ECDSA (Espruino). Device certificates are signed from EC or RSA CSRs either way. Default:
   * the kind of the CA already in `dataDir`, `'ec'` for a new one; another kind than the one
   * there is an error.
   */
  readonly pki?: PkiKind
}

/** A running sandbox. */
export interface Sandbox {
  readonly realm: string
  /** e.g. `http://127.0.0.1:4000/pairing`; routes are `<pairingUrl>/v1/<realm>/…`. */
  readonly pairingUrl: string
  readonly appengineUrl: string
  readonly realmManagementUrl: string
  /**
   * `http://host:port/files`: `<filesUrl>/<name>` stores a PUT or POST body and serves it back
   * (GET with byte ranges), without authentication, as a presigned object-storage URL would.
   */
  readonly filesUrl: string
  /** `mqtts://host:port/` as Pairing's device info reports it. */
  readonly mqttUrl: string
  /** Path of the CA certificate (PEM) that signs device and server certificates. */
  readonly caFile: string
  readonly caPem: string
  /** Key type of the CA and of the broker's certificate. */
  readonly pki: PkiKind
  readonly dataDir: string
  /** A token with `a_pa`, `a_aea` and `a_rma` granting everything; no `exp`. */
  readonly jwt: string
  /** Signs a realm token with the given claims (plus `iat`). */
  signJwt(claims: Readonly<Record<string, unknown>>): string
  /**
   * A server certificate for `hosts` (IPs or DNS names) signed by the sandbox CA, valid
   * `lifetimeSec` (default 2190 h, whatever `certLifetimeSec` says of device certificates).
   */
  issueServerCertificate(hosts: readonly string[], lifetimeSec?: number): Promise<ServerCredentials>
  /**
   * Publishes `payload` as it is on `<realm>/<deviceId>/<interfaceName><path>`, unchecked: server
   * data AppEngine would refuse (a wrong type, an unknown path, a payload that isn't BSON), for
   * tests of how a device copes with it. Resolves once the broker took it (queued for an offline
   * session like AppEngine's sends); rejects when the sandbox runs without its broker.
   */
  publishRaw(
    deviceId: string,
    interfaceName: string,
    path: string,
    payload: Uint8Array,
    qos: 0 | 1 | 2,
  ): Promise<void>
  /**
   * AppEngine as a test or a demo calls it: `<method> <appengineUrl>/v1/<realm>/<path>` with the
   * sandbox's token and `{"data": …}` bodies. Resolves with the status and the response's `data`
   * (the whole body when it has none; `undefined` when empty).
   */
  appEngine(
    method: string,
    path: string,
    data?: unknown,
  ): Promise<{ status: number; data: unknown }>
  /**
   * Installs every `.json` file of `dir` through the Realm Management API, in name order, as an
   * operator would; rejects naming the first file the API refuses.
   */
  installInterfaces(dir: string): Promise<void>
  stop(): Promise<void>
}

const DEFAULT_CERT_LIFETIME_SEC = 2190 * 3600

/** Starts a sandbox; resolves once both listeners accept connections. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1'
  const realm = options.realm ?? 'test'
  if (!/^[a-z][a-z0-9]{0,47}$/.test(realm)) {
    throw new Error(`couldn't start: invalid realm name ${realm}`)
  }
  const logger = options.logger ?? stderrLogger()
  const ownsDataDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'astarte-sandbox-'))
  mkdirSync(dataDir, { recursive: true })
  const withBroker = options.broker !== false
  if (!withBroker && options.brokerUrl === undefined) {
    throw new Error("couldn't start pairing alone: brokerUrl is required when broker is false")
  }

  const ca = await loadOrCreateCa(dataDir, realm, options.pki)
  const realmKey = loadRealmKey(dataDir, options.realmPrivateKeyPem)
  const db = openDb(join(dataDir, 'sandbox.sqlite'))
  let brokerUrl = options.brokerUrl ?? ''
  let brokerControl: BrokerControl | null = null
  const ctx: SandboxContext = {
    realm,
    ca,
    devices: new DeviceStore(db),
    interfaces: new InterfaceStore(db),
    values: new ValueStore(db),
    realmKey,
    logger,
    certLifetimeSec: options.certLifetimeSec ?? DEFAULT_CERT_LIFETIME_SEC,
    brokerUrl: () => brokerUrl,
    broker: () => brokerControl,
  }
  if (options.interfacesDir !== undefined) preinstall(ctx, options.interfacesDir)

  const broker = withBroker
    ? await startBroker(ctx, {
        host,
        port: options.mqttPort ?? 0,
        // short device lifetimes (renewal tests) must not expire the broker's own certificate
        server: await ca.issueServerCertificate(serverHosts(host), DEFAULT_CERT_LIFETIME_SEC),
        sessions: new SessionStore(db),
      })
    : null
  if (broker !== null) {
    brokerControl = broker.control
    brokerUrl = `mqtts://${urlHost(host)}:${broker.port}/`
  }

  const http = createHttpServer(
    createRouter(ctx, !withBroker),
    logger,
    fileRoute(join(dataDir, 'files'), logger),
  )
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.httpPort ?? 0, host, () => resolve())
  })
  const httpBase = `http://${urlHost(host)}:${(http.address() as AddressInfo).port}`
  const nowSec = (): number => Math.floor(Date.now() / 1000)
  const allAccess = { a_pa: ['.*::.*'], a_aea: ['.*::.*'], a_rma: ['.*::.*'] }
  logger.log('info', 'sandbox ready', {
    realm,
    http: httpBase,
    mqtt: brokerUrl,
    pki: ca.pki,
    dataDir,
  })

  let stopped = false
  const token = signJwt(realmKey, allAccess, nowSec())
  return {
    realm,
    pairingUrl: `${httpBase}/pairing`,
    appengineUrl: `${httpBase}/appengine`,
    realmManagementUrl: `${httpBase}/realmmanagement`,
    filesUrl: `${httpBase}/files`,
    mqttUrl: brokerUrl,
    caFile: ca.certFile,
    caPem: ca.certPem,
    pki: ca.pki,
    dataDir,
    jwt: token,
    signJwt: (claims) => signJwt(realmKey, claims, nowSec()),
    issueServerCertificate: (hosts, lifetimeSec) =>
      ca.issueServerCertificate(hosts, lifetimeSec ?? DEFAULT_CERT_LIFETIME_SEC),
    async publishRaw(deviceId, interfaceName, path, payload, qos) {
      if (brokerControl === null) {
        throw new Error("couldn't publish to the device: the sandbox runs without its broker")
      }
      await brokerControl.publish(`${realm}/${deviceId}/${interfaceName}${path}`, payload, qos)
    },
    async appEngine(method, path, data) {
      const res = await fetch(`${httpBase}/appengine/v1/${realm}/${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(data === undefined ? {} : { body: JSON.stringify({ data }) }),
      })
      const text = await res.text()
      const json = text === '' ? undefined : (JSON.parse(text) as { data?: unknown })
      return { status: res.status, data: json?.data ?? json }
    },
    async installInterfaces(dir) {
      for (const file of readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()) {
        const res = await fetch(`${httpBase}/realmmanagement/v1/${realm}/interfaces`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ data: JSON.parse(readFileSync(join(dir, file), 'utf8')) }),
        })
        if (res.status !== 201) {
          throw new Error(`couldn't install ${file}: ${res.status} ${await res.text()}`)
        }
      }
    },
    async stop() {
      if (stopped) return
      stopped = true
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await broker?.stop()
      db.close()
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true })
      logger.log('info', 'sandbox stopped', { realm })
    },
  }
}

function loadRealmKey(dataDir: string, pem: string | undefined): RealmKey {
  if (pem !== undefined) return realmKeyFrom(pem)
  const file = join(dataDir, 'realm-key.pem')
  if (existsSync(file)) return realmKeyFrom(readFileSync(file, 'utf8'))
  const key = realmKeyFrom(undefined)
  writeSecretFile(file, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
  return key
}

function preinstall(ctx: SandboxContext, dir: string): void {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    let json: unknown
    try {
      json = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    } catch {
      ctx.logger.log('warn', "couldn't read interface file", { file })
      continue
    }
    const outcome = installInterface(ctx, json)
    if (outcome.ok) {
      ctx.logger.log('info', 'interface installed', { file })
    } else if (outcome.reason === 'already_installed_interface') {
      ctx.logger.log('info', 'interface already installed', { file })
    } else {
      const issues =
        outcome.reason === 'invalid' ? outcome.issues.map((i) => `${i.path}: ${i.code}`) : []
      ctx.logger.log('warn', "couldn't install interface", { file, reason: outcome.reason, issues })
    }
  }
}

function serverHosts(host: string): string[] {
  const hosts = ['127.0.0.1', 'localhost', '::1']
  return hosts.includes(host) ? hosts : [host, ...hosts]
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
