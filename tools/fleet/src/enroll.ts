/**
 * @module fleet enroll: registers a simulated device with an agent JWT (spec §6), then lets
 * sdk-core's `PairingMachine` obtain its credentials (device info, key and CSR, certificate:
 * spec §4.3), keeping all of it in the fleet's credentials cache so that re-runs skip the
 * Pairing API entirely.
 */
import { createHash } from 'node:crypto'
import {
  PairingMachine,
  assertNever,
  parseRegisterDeviceResponse,
  registerDeviceRequest,
  unregisterDeviceRequest,
  type CryptoProvider,
  type HttpClient,
  type PairingAction,
  type PairingInput,
  type Result,
  type SdkError,
  type StoredCredentials,
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

/** Retries of one pairing step (a busy Pairing API) before the device counts as failed. */
const MAX_RETRIES = 5
const RETRY = { initialDelayMs: 500, maxDelayMs: 5_000 }

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

/**
 * Runs a `PairingMachine` until its first `pairing.ready` and stops it there (a simulation
 * outlives no certificate). Its clock is the wall clock: certificates are dated by it.
 */
function obtainCredentials(
  target: EnrollTarget,
  deviceId: string,
  credentialsSecret: string,
  http: HttpClient,
  crypto: CryptoProvider,
): Promise<StoredCredentials> {
  const machine = new PairingMachine({
    pairingUrl: target.pairingUrl,
    realm: target.realm,
    deviceId,
    credentialsSecret,
    keyAlgorithm: 'ec-p256',
    retry: RETRY,
    random: Math.random,
    parseCertificate: (pem) => crypto.parseCertificate(pem),
  })
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    let settled = false
    const settle = (outcome: () => void): void => {
      settled = true
      clearTimeout(timer)
      machine.handle({ type: 'pairing.stop' }, Date.now())
      outcome()
    }
    // Answers arrive on later turns, so the machine never handles an input inside another.
    const feed = (input: PairingInput): void => {
      if (settled) return
      for (const action of machine.handle(input, Date.now())) perform(action)
      if (settled) clearTimeout(timer)
    }
    const perform = (a: PairingAction): void => {
      switch (a.type) {
        case 'http': {
          const { requestId } = a
          return void http.request(a.request).then(
            (response) => feed({ type: 'http.response', requestId, response }),
            (error: unknown) => feed({ type: 'http.failed', requestId, error }),
          )
        }
        case 'crypto.createKeyAndCsr': {
          const { requestId } = a
          return void crypto.createKeyAndCsr(a.algorithm, a.commonName).then(
            (k) => feed({ type: 'crypto.keyAndCsr', requestId, ...k }),
            (error: unknown) => feed({ type: 'crypto.failed', requestId, error }),
          )
        }
        case 'credentials.save': {
          const { requestId } = a
          // The fleet's cache keeps them (CredentialsCache.set) once the machine is ready.
          return queueMicrotask(() => feed({ type: 'credentials.saved', requestId }))
        }
        case 'timer.set':
          clearTimeout(timer)
          timer = setTimeout(() => feed({ type: 'timer', timerId: a.timerId }), a.atMs - Date.now())
          return
        case 'timer.cancel':
          return clearTimeout(timer)
        case 'pairing.ready': {
          const { privateKeyPem, certificatePem } = a
          return settle(() => resolve({ privateKeyPem, certificatePem }))
        }
        case 'pairing.retrying':
          if (a.attempt > MAX_RETRIES) settle(() => reject(a.error))
          return
        case 'pairing.failed':
          return settle(() => reject(a.error))
        default:
          return assertNever(a)
      }
    }
    feed({ type: 'pairing.start' })
  })
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
  const pem = await obtainCredentials(target, deviceId, credentialsSecret, http, crypto)
  const credentials = { deviceId, credentialsSecret, ...pem }
  cache.set(credentials)
  return { credentials, cached: false }
}
