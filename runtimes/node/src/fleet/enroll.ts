/**
 * @module fleet enroll: registers a simulated device with an agent JWT, makes its key and CSR
 * once, and obtains its certificate (spec §4.3), keeping all of it in a per-device credentials
 * directory so that re-runs skip the Pairing API entirely.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import {
  credentialsRequest,
  parseCredentialsResponse,
  parseRegisterDeviceResponse,
  registerDeviceRequest,
  unregisterDeviceRequest,
  type CryptoProvider,
  type HttpClient,
  type Result,
  type SdkError,
} from '@astarte-ts/sdk-core'
import { FileCredentialsStore } from '../credentials/index.js'

export interface FleetCredentials {
  readonly deviceId: string
  readonly credentialsSecret: string
  readonly privateKeyPem: string
  readonly certificatePem: string
}

export interface EnrollTarget {
  readonly pairingUrl: string
  readonly realm: string
  readonly jwt: string
  /** Root of the cache; each pairing URL + realm gets its own subdirectory. */
  readonly cacheDir: string
  /** Hardware-id prefix: device `i` is `<prefix>-<i>`. */
  readonly prefix: string
}

export interface Enrolled {
  readonly credentials: FleetCredentials
  /** True when nothing was asked of the Pairing API. */
  readonly cached: boolean
}

/** A stable device id for hardware id `<prefix>-<index>`: 128 bits, base64url without padding. */
export function fleetDeviceId(prefix: string, index: number): string {
  const digest = createHash('sha256').update(`${prefix}-${index}`).digest()
  return digest.subarray(0, 16).toString('base64url')
}

function storeFor(target: EnrollTarget, deviceId: string): FileCredentialsStore {
  const scope = createHash('sha256').update(`${target.pairingUrl}\n${target.realm}`).digest('hex')
  return new FileCredentialsStore({ dir: join(target.cacheDir, scope.slice(0, 16), deviceId) })
}

function unwrap<T>(result: Result<T, SdkError>): T {
  if (!result.ok) throw result.error
  return result.value
}

async function register(http: HttpClient, target: EnrollTarget, deviceId: string): Promise<string> {
  const params = { pairingUrl: target.pairingUrl, realm: target.realm, jwt: target.jwt, deviceId }
  const first = parseRegisterDeviceResponse(await http.request(registerDeviceRequest(params)))
  if (first.ok || first.error.code !== 'remote.device_already_registered') {
    return unwrap(first).credentialsSecret
  }
  // Registered by an earlier run whose cache is gone: its secret is unrecoverable, so start over.
  await http.request(unregisterDeviceRequest(params))
  return unwrap(parseRegisterDeviceResponse(await http.request(registerDeviceRequest(params))))
    .credentialsSecret
}

/** The device's cached credentials, or fresh ones from the Pairing API (then cached). */
export async function enrollDevice(
  target: EnrollTarget,
  index: number,
  http: HttpClient,
  crypto: CryptoProvider,
): Promise<Enrolled> {
  const deviceId = fleetDeviceId(target.prefix, index)
  const store = storeFor(target, deviceId)
  const secret = store.read('credentialsSecret')
  const key = store.read('privateKey')
  const cert = store.read('certificate')
  if (secret !== undefined && key !== undefined && cert !== undefined) {
    const credentials = { deviceId, credentialsSecret: secret, privateKeyPem: key }
    return { credentials: { ...credentials, certificatePem: cert }, cached: true }
  }
  const credentialsSecret = secret ?? (await register(http, target, deviceId))
  store.write('credentialsSecret', credentialsSecret)
  const commonName = `${target.realm}/${deviceId}`
  const { privateKeyPem, csrPem } = await crypto.createKeyAndCsr('ec-p256', commonName)
  const route = { pairingUrl: target.pairingUrl, realm: target.realm, deviceId, credentialsSecret }
  const certificatePem = unwrap(
    parseCredentialsResponse(await http.request(credentialsRequest({ ...route, csrPem }))),
  )
  store.write('privateKey', privateKeyPem)
  store.write('certificate', certificatePem)
  return {
    credentials: { deviceId, credentialsSecret, privateKeyPem, certificatePem },
    cached: false,
  }
}
