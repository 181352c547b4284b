/**
 * @module credentials: the factory-provisioned credentials in `Preference` (domain `astarte`, the
 * form `astarte-device provision` writes: strings `realm`, `pairingUrl`, `deviceId`, `secret`,
 * `brokerUrl`; DER buffers `key` (PKCS#8), `csr`, `cert`, optional `ca`). No key is generated on
 * the chip: renewal resubmits the stored CSR, signed by the stored key, and the new certificate
 * replaces `cert`.
 */
import { SdkError, type CryptoProvider, type TlsMaterial } from '@astarte-ts/sdk-core'
import Preference from 'preference'
import { parseCertificate } from './certificate.js'
import { derToPem, pemToDer, toArrayBuffer } from './pem.js'

/** The `Preference` domain of the credentials. */
export const CREDENTIALS_DOMAIN = 'astarte'

/** What the device was provisioned with. */
export interface ProvisionedCredentials {
  readonly realm: string
  readonly pairingUrl: string
  readonly deviceId: string
  readonly credentialsSecret: string
  readonly brokerUrl?: string | undefined
  readonly privateKeyPem: string
  readonly csrPem: string
  readonly certificatePem?: string | undefined
  readonly caPem?: string | undefined
}

const missing = (key: string): SdkError =>
  new SdkError('local.not_provisioned', 'the device has no provisioned credentials', {
    ctx: { domain: CREDENTIALS_DOMAIN, key },
  })

function text(key: string): string {
  const value = Preference.get(CREDENTIALS_DOMAIN, key)
  if (typeof value !== 'string' || value === '') throw missing(key)
  return value
}

function pem(key: string, label: string, required: boolean): string | undefined {
  const value = Preference.get(CREDENTIALS_DOMAIN, key)
  if (value instanceof ArrayBuffer) return derToPem(new Uint8Array(value), label)
  if (required) throw missing(key)
  return undefined
}

/**
 * Reads the provisioned credentials.
 *
 * @throws SdkError `local.not_provisioned`, `ctx.key` naming the first value missing.
 */
export function readProvisionedCredentials(): ProvisionedCredentials {
  const brokerUrl = Preference.get(CREDENTIALS_DOMAIN, 'brokerUrl')
  return {
    realm: text('realm'),
    pairingUrl: text('pairingUrl'),
    deviceId: text('deviceId'),
    credentialsSecret: text('secret'),
    brokerUrl: typeof brokerUrl === 'string' ? brokerUrl : undefined,
    privateKeyPem: pem('key', 'PRIVATE KEY', true) as string,
    csrPem: pem('csr', 'CERTIFICATE REQUEST', true) as string,
    certificatePem: pem('cert', 'CERTIFICATE', false),
    caPem: pem('ca', 'CERTIFICATE', false),
  }
}

/** Keeps a renewed certificate (the key never changes). */
export async function saveCertificate(tls: TlsMaterial): Promise<void> {
  Preference.set(CREDENTIALS_DOMAIN, 'cert', toArrayBuffer(pemToDer(tls.certificatePem)))
}

/**
 * The crypto of a provisioned device: "creating" a key and CSR hands back the stored ones, so a
 * renewal resubmits the factory CSR; certificates are read by `parseCertificate`.
 */
export function provisionedCrypto(credentials: ProvisionedCredentials): CryptoProvider {
  return {
    createKeyAndCsr: async () => ({
      privateKeyPem: credentials.privateKeyPem,
      csrPem: credentials.csrPem,
    }),
    parseCertificate,
  }
}
