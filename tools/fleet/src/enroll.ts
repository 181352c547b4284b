/**
 * @module fleet enroll: registers a simulated device with an agent JWT, makes its key and CSR
 * once, and obtains its certificate (spec §4.3), keeping all of it in the fleet's credentials
 * cache so that re-runs skip the Pairing API entirely.
 */
import { createHash } from 'node:crypto'
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
import type { CredentialsCache, FleetCredentials } from './credentials-cache.js'

export interface EnrollTarget {
  readonly pairingUrl: string
  readonly realm: string
  readonly jwt: string
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
  cache: CredentialsCache,
): Promise<Enrolled> {
  const deviceId = fleetDeviceId(target.prefix, index)
  const known = cache.get(deviceId)
  if (known !== undefined) return { credentials: known, cached: true }
  const credentialsSecret = await register(http, target, deviceId)
  const commonName = `${target.realm}/${deviceId}`
  const { privateKeyPem, csrPem } = await crypto.createKeyAndCsr('ec-p256', commonName)
  const route = { pairingUrl: target.pairingUrl, realm: target.realm, deviceId, credentialsSecret }
  const certificatePem = unwrap(
    parseCredentialsResponse(await http.request(credentialsRequest({ ...route, csrPem }))),
  )
  const credentials = { deviceId, credentialsSecret, privateKeyPem, certificatePem }
  cache.set(credentials)
  return { credentials, cached: false }
}
