/** @module test helpers: real keys, CSRs, HTTP calls and sandboxes for the sandbox suite. */
import '../src/pki/reflect-metadata.js'
import { randomBytes, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { silentLogger, startSandbox, type Sandbox, type SandboxOptions } from '../src/index.js'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

export type KeyKind = 'ec' | 'rsa'

const ALGORITHMS = {
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
} as const

/** A fresh key pair (PKCS#8 PEM) and a CSR for `cn`, as device SDKs produce them. */
export async function makeCsr(kind: KeyKind, cn: string): Promise<{ csrPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHMS[kind], true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [cn] }],
    keys: keys as never,
    signingAlgorithm: ALGORITHMS[kind],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`
  return { csrPem: csr.toString('pem'), keyPem }
}

/** A self-signed certificate named like the sandbox CA but signed by another key. */
export async function forgedCertificate(issuerCn: string): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHMS.ec, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [issuerCn] }],
    keys: keys as never,
    signingAlgorithm: ALGORITHMS.ec,
  })
  return cert.toString('pem')
}

export const newDeviceId = (): string => randomBytes(16).toString('base64url')

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
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers }
}

/** Registers `deviceId` with the sandbox's all-access token; returns the credentials secret. */
export async function register(sb: Sandbox, deviceId: string, initialIntrospection?: unknown): Promise<string> {
  const res = await call('POST', `${sb.pairingUrl}/v1/${sb.realm}/agent/devices`, {
    auth: `Bearer ${sb.jwt}`,
    body: { data: { hw_id: deviceId, ...(initialIntrospection === undefined ? {} : { initial_introspection: initialIntrospection }) } },
  })
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.json)}`)
  return (res.json as { data: { credentials_secret: string } }).data.credentials_secret
}

/** Obtains a client certificate for a registered device. */
export async function obtainCertificate(
  sb: Sandbox,
  deviceId: string,
  secret: string,
  kind: KeyKind = 'ec',
): Promise<{ certPem: string; keyPem: string }> {
  const { csrPem, keyPem } = await makeCsr(kind, `${sb.realm}/${deviceId}`)
  const res = await call('POST', credentialsUrl(sb, deviceId), { auth: `Bearer ${secret}`, body: { data: { csr: csrPem } } })
  if (res.status !== 201) throw new Error(`credentials failed: ${res.status} ${JSON.stringify(res.json)}`)
  return { certPem: (res.json as { data: { client_crt: string } }).data.client_crt, keyPem }
}

export const credentialsUrl = (sb: Sandbox, deviceId: string): string =>
  `${sb.pairingUrl}/v1/${sb.realm}/devices/${deviceId}/protocols/astarte_mqtt_v1/credentials`
