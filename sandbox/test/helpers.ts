/** @module test helpers: real keys, CSRs, HTTP calls and sandboxes for the sandbox suite. */
import 'reflect-metadata'
import { randomBytes, webcrypto } from 'node:crypto'
import type { Socket } from 'node:net'
import * as x509 from '@peculiar/x509'
import mqtt from 'mqtt'
import type { Logger } from '@astarte-ts/sdk-core'
import { silentLogger, startSandbox, type Sandbox, type SandboxOptions } from '../src/index.js'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

export type KeyKind = 'ec' | 'rsa'

const ALGORITHMS = {
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  rsa: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
} as const

/** A fresh key pair (PKCS#8 PEM) and a CSR for `cn`, as device SDKs produce them. */
export async function makeCsr(
  kind: KeyKind,
  cn: string,
): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await generateKeys(kind)
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [cn] }],
    keys: keys as never,
    signingAlgorithm: ALGORITHMS[kind],
  })
  const keyPem = pkcs8Pem(Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)))
  return { csrPem: csr.toString('pem'), keyPem }
}

/** A self-signed certificate named `issuerCn` (e.g. like the sandbox CA) and its key. */
export async function forgedCertificate(
  issuerCn: string,
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeys('ec')
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [issuerCn] }],
    keys: keys as never,
    signingAlgorithm: ALGORITHMS.ec,
  })
  const keyPem = pkcs8Pem(Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)))
  return { certPem: cert.toString('pem'), keyPem }
}

async function generateKeys(kind: KeyKind): Promise<webcrypto.CryptoKeyPair> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHMS[kind], true, ['sign', 'verify'])
  return keys as webcrypto.CryptoKeyPair
}

function pkcs8Pem(der: Buffer): string {
  const lines = der.toString('base64').replace(/.{1,64}/g, '$&\n')
  return `-----BEGIN PRIVATE KEY-----\n${lines}-----END PRIVATE KEY-----\n`
}

export const newDeviceId = (): string => randomBytes(16).toString('base64url')

/** What a test needs of a sandbox, in this process or another. */
export type SandboxUrls = Pick<
  Sandbox,
  'realm' | 'pairingUrl' | 'appengineUrl' | 'mqttUrl' | 'caPem' | 'jwt'
>

export function testSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ logger: silentLogger, ...options })
}

export interface ApiResponse {
  readonly status: number
  readonly json: unknown
  readonly headers: Headers
}

/** One HTTP call; `auth` is the full Authorization header value. */
export async function call(
  method: string,
  url: string,
  options: { auth?: string; body?: unknown; rawBody?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {}
  if (options.auth !== undefined) headers['authorization'] = options.auth
  const json = options.body === undefined ? undefined : JSON.stringify(options.body)
  const body = options.rawBody ?? json
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await res.text()
  const parsed = text === '' ? undefined : (JSON.parse(text) as unknown)
  return { status: res.status, json: parsed, headers: res.headers }
}

/** Registers `deviceId` with the sandbox's all-access token; returns the credentials secret. */
export async function register(
  sb: SandboxUrls,
  deviceId: string,
  initialIntrospection?: unknown,
): Promise<string> {
  const introspection =
    initialIntrospection === undefined ? {} : { initial_introspection: initialIntrospection }
  const res = await call('POST', `${sb.pairingUrl}/v1/${sb.realm}/agent/devices`, {
    auth: `Bearer ${sb.jwt}`,
    body: { data: { hw_id: deviceId, ...introspection } },
  })
  if (res.status !== 201) throw new Error(`register failed: ${res.status}`)
  return (res.json as { data: { credentials_secret: string } }).data.credentials_secret
}

/** Obtains a client certificate for a registered device. */
export async function obtainCertificate(
  sb: SandboxUrls,
  deviceId: string,
  secret: string,
  kind: KeyKind = 'ec',
): Promise<{ certPem: string; keyPem: string }> {
  const { csrPem, keyPem } = await makeCsr(kind, `${sb.realm}/${deviceId}`)
  const res = await call('POST', credentialsUrl(sb, deviceId), {
    auth: `Bearer ${secret}`,
    body: { data: { csr: csrPem } },
  })
  if (res.status !== 201) throw new Error(`credentials failed: ${res.status}`)
  return { certPem: (res.json as { data: { client_crt: string } }).data.client_crt, keyPem }
}

export const credentialsUrl = (sb: SandboxUrls, deviceId: string): string =>
  `${sb.pairingUrl}/v1/${sb.realm}/devices/${deviceId}/protocols/astarte_mqtt_v1/credentials`

/** A device connected (or refused) over mutual TLS with MQTT.js. */
export interface DeviceConnection {
  readonly client: mqtt.MqttClient
  readonly sessionPresent: boolean
  /** Messages received, in order. */
  readonly received: { topic: string; payload: Buffer; qos: number }[]
  /** Resolves when the broker closes the connection. */
  readonly closed: Promise<void>
}

/** Connects with `tls` credentials; rejects with the CONNACK refusal or TLS error. */
export function connectDevice(
  sb: SandboxUrls,
  tls: { certPem?: string; keyPem?: string; caPem?: string },
  options: { clean?: boolean; clientId?: string } = {},
): Promise<DeviceConnection> {
  const url = new URL(sb.mqttUrl)
  const client = mqtt.connect({
    protocol: 'mqtts',
    host: url.hostname,
    port: Number(url.port),
    ca: tls.caPem ?? sb.caPem,
    ...(tls.certPem === undefined ? {} : { cert: tls.certPem }),
    ...(tls.keyPem === undefined ? {} : { key: tls.keyPem }),
    clientId: options.clientId ?? `c-${randomBytes(4).toString('hex')}`,
    clean: options.clean ?? false,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  })
  // As the broker does: small frames must not wait for Nagle + delayed ACKs.
  client.once('connect', () => (client.stream as Partial<Socket>).setNoDelay?.(true))
  const received: { topic: string; payload: Buffer; qos: number }[] = []
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload, qos: packet.qos })
  })
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => {
      resolve({ client, sessionPresent: connack.sessionPresent, received, closed })
    })
    client.once('error', (error) => {
      client.end(true)
      reject(error)
    })
    client.once('close', () => reject(new Error('closed before connack')))
  })
}

/** A registered device with a certificate, ready to connect. */
export async function provisionDevice(
  sb: SandboxUrls,
  kind: KeyKind = 'ec',
): Promise<{ deviceId: string; secret: string; certPem: string; keyPem: string; prefix: string }> {
  const deviceId = newDeviceId()
  const secret = await register(sb, deviceId)
  const { certPem, keyPem } = await obtainCertificate(sb, deviceId, secret, kind)
  return { deviceId, secret, certPem, keyPem, prefix: `${sb.realm}/${deviceId}` }
}

/** Resolves once `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const FIXTURES = new URL('./fixtures/interfaces/', import.meta.url).pathname

/** The introspection of every fixture interface (all `:1:0`). */
export const FIXTURE_INTROSPECTION = [
  'org.astarte.test.DeviceDatastream',
  'org.astarte.test.DeviceProperties',
  'org.astarte.test.DeviceObject',
  'org.astarte.test.ServerProperties',
  'org.astarte.test.ServerDatastream',
  'org.astarte.test.ServerObject',
]
  .map((n) => `${n}:1:0`)
  .join(';')

/**
 * A provisioned device online with a persistent session (one subscription, so a later
 * sessionPresent=false proves the session was discarded) and its introspection sent.
 */
export async function onlineDevice(
  sb: Sandbox,
  introspection = FIXTURE_INTROSPECTION,
): Promise<Awaited<ReturnType<typeof provisionDevice>> & { conn: DeviceConnection }> {
  const d = await provisionDevice(sb)
  const conn = await connectDevice(sb, d)
  await conn.client.subscribeAsync(`${d.prefix}/org.astarte.test.ServerDatastream/#`, { qos: 2 })
  await conn.client.publishAsync(d.prefix, introspection, { qos: 2 })
  return { ...d, conn }
}

/** AppEngine GET of `<path>` below the realm, with the all-access token. */
export async function appengine(
  sb: SandboxUrls,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  return call(method, `${sb.appengineUrl}/v1/${sb.realm}/${path}`, {
    auth: `Bearer ${sb.jwt}`,
    ...(body === undefined ? {} : { body }),
  })
}

export interface LogEntry {
  readonly level: string
  readonly message: string
  readonly ctx: Readonly<Record<string, unknown>>
}

/** A logger that keeps every entry, to assert on what the sandbox decided. */
export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const logger: Logger = {
    log: (level, message, ctx = {}) => entries.push({ level, message, ctx }),
  }
  return { entries, logger }
}
