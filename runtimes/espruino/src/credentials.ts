/**
 * @module credentials: the device's factory-provisioned credentials, a JSON file in `Storage`
 * written once at manufacture (`astarte-device provision`, the `espruino-storage.js` it makes).
 * The chip never generates a key: renewal resubmits the stored CSR, signed by the stored key,
 * and the new certificate replaces the old one in the same file.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type { CryptoProvider } from '@astarte-ts/sdk-core'
import { parseCertificate } from './certificate.js'
import type { EspruinoStorage } from './espruino.js'

/** The bundle as the provisioning script stores it (the canonical bundle less `format`). */
export interface StoredCredentials {
  readonly realm: string
  readonly pairingUrl: string
  readonly deviceId: string
  readonly credentialsSecret: string
  readonly privateKeyPem: string
  readonly csrPem: string
  certificatePem: string
  readonly caPem?: string
}

/** The Storage file `astarte-device provision` writes for Espruino. */
export const CREDENTIALS_FILE = 'astarte.json'

const FIELDS = ['realm', 'pairingUrl', 'deviceId', 'credentialsSecret', 'privateKeyPem', 'csrPem']

/** Reads the bundle; `local.no_credentials` naming the file (never a value) when unusable. */
export function loadCredentials(
  storage: EspruinoStorage,
  file = CREDENTIALS_FILE,
): StoredCredentials {
  const doc = storage.readJSON(file, true) as Record<string, unknown> | undefined
  const missing = FIELDS.filter((k) => typeof doc?.[k] !== 'string')
  if (doc === undefined || missing.length > 0) {
    throw new SdkError(
      'local.no_credentials',
      `couldn't open the device: Storage file ${file} has no provisioned credentials (${missing.join(', ')})`,
      { ctx: { file, missing } },
    )
  }
  return doc as unknown as StoredCredentials
}

/** `CryptoProvider` over stored material: no key generation, the stored CSR again at renewal. */
export function storedCrypto(credentials: StoredCredentials): CryptoProvider {
  return {
    createKeyAndCsr: () =>
      Promise.resolve({ privateKeyPem: credentials.privateKeyPem, csrPem: credentials.csrPem }),
    parseCertificate,
  }
}

/** Saves a renewed certificate into the bundle; the key is the stored one, never replaced. */
export function saveCertificate(
  storage: EspruinoStorage,
  credentials: StoredCredentials,
  certificatePem: string,
  file = CREDENTIALS_FILE,
): void {
  credentials.certificatePem = certificatePem
  if (!storage.writeJSON(file, credentials)) {
    throw new SdkError(
      'local.storage_full',
      `couldn't save the certificate to Storage file ${file}`,
    )
  }
}
