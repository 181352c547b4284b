/**
 * @module pairing context: what the pairing machine keeps across states — its settings, the
 * credentials in use and the retry count. Only the machine's steps mutate it.
 */
import type { Result } from '../../errors.js'
import { SdkError, err, ok } from '../../errors.js'
import type { CertificateInfo, KeyAlgorithm } from '../../ports.js'
import type { DeviceRouteParams } from '../device-route.js'
import type { BackoffPolicy, RenewalPolicy } from './schedule.js'
import { backoffDelayMs, renewalTimeMs } from './schedule.js'
import type { StoredCredentials } from './types.js'

/** Credentials whose certificate was read and checked, with their renewal time fixed once. */
export interface AdoptedCredentials extends StoredCredentials {
  readonly info: CertificateInfo
  readonly renewAtMs: number
}

export interface Context {
  readonly route: DeviceRouteParams
  /** `<realm>/<deviceId>`: the CN of CSRs and certificates, and the MQTT identity (spec §3.1). */
  readonly commonName: string
  readonly keyAlgorithm: KeyAlgorithm
  readonly renewal: RenewalPolicy
  readonly backoff: BackoffPolicy
  readonly random: () => number
  readonly parseCertificate: (pem: string) => CertificateInfo
  credentials: AdoptedCredentials | undefined
  /** Consecutive failures since the last `ready`: drives the backoff. */
  attempt: number
  lastId: number
}

/** A fresh request or timer id, unique for the machine's life. */
export function nextId(ctx: Context): string {
  ctx.lastId += 1
  return `pairing.${ctx.lastId}`
}

/** The next backoff delay; counts the failure. */
export function nextBackoffMs(ctx: Context): number {
  const delay = backoffDelayMs(ctx.attempt, ctx.backoff, ctx.random)
  ctx.attempt += 1
  return delay
}

/** Reads the certificate and checks it belongs to this device (spec §4.5: CN `<realm>/<id>`). */
export function adoptCredentials(
  ctx: Context,
  creds: StoredCredentials,
): Result<AdoptedCredentials, SdkError> {
  let info: CertificateInfo
  try {
    info = ctx.parseCertificate(creds.certificatePem)
  } catch (cause) {
    const message = "couldn't read the certificate"
    return err(new SdkError('remote.pairing_certificate', message, { cause }))
  }
  if (info.subjectCommonName !== ctx.commonName) {
    return err(
      new SdkError('remote.pairing_certificate', "couldn't use a certificate of another identity", {
        ctx: { subjectCommonName: info.subjectCommonName, expected: ctx.commonName },
      }),
    )
  }
  if (!(info.notAfterMs > info.notBeforeMs)) {
    return err(new SdkError('remote.pairing_certificate', "couldn't use a certificate never valid"))
  }
  const renewAtMs = renewalTimeMs(info, ctx.renewal, ctx.random)
  return ok({
    certificatePem: creds.certificatePem,
    privateKeyPem: creds.privateKeyPem,
    info,
    renewAtMs,
  })
}
