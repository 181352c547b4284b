/**
 * @module credentials bundle: what the factory writes for one device, in the canonical JSON form
 * and in the forms each target stores it (Moddable preferences, an Espruino `Storage` file, a
 * Node store directory). A device loaded from a bundle connects with the provisioned key and
 * certificate and, when the certificate must be renewed, resubmits the provisioned CSR: no key is
 * ever generated on the chip.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { SdkError } from '@astarte-ts/sdk-core'
import { CREDENTIAL_FILES } from '../credentials/index.js'

/** The `format` tag of a bundle; a reader refuses any other. */
export const BUNDLE_FORMAT = 'astarte-ts.credentials/1'

/** One device's credentials as the factory hands them over. Every field but `caPem` is secret or identifying. */
export interface CredentialsBundle {
  readonly format: typeof BUNDLE_FORMAT
  readonly realm: string
  readonly pairingUrl: string
  readonly deviceId: string
  /** The hardware id the device id was derived from, when it was. */
  readonly hardwareId?: string
  readonly credentialsSecret: string
  /** `mqtts://host:port/` as the Pairing API announced it. */
  readonly brokerUrl: string
  /** PKCS#8 PEM: EC P-256, or RSA 2048 for TLS stacks without ECDSA (Espruino's mbedTLS build). */
  readonly privateKeyPem: string
  /** PEM CSR with subject `CN=<realm>/<deviceId>`, signed by `privateKeyPem`: resubmitted at renewal. */
  readonly csrPem: string
  readonly certificatePem: string
  /** Trust anchor of the broker and the Pairing API, when not a public one. */
  readonly caPem?: string
}

/** File names of the forms written beside `credentials.json`. */
export const BUNDLE_FILES = {
  canonical: 'credentials.json',
  moddable: 'moddable-preferences.json',
  espruino: 'espruino-storage.js',
  /** A directory laid out as the Node runtime's credentials store (`openDevice({ storeDir })`). */
  node: 'node-store',
} as const

/** Moddable's `Preference` limits on ESP32 (NVS): key and domain names, value bytes. */
const PREFERENCE_NAME_MAX = 15
const PREFERENCE_VALUE_MAX = 4000
/** The preference domain the Moddable runtime reads. */
export const MODDABLE_PREFERENCE_DOMAIN = 'astarte'
/** The `Storage` file the Espruino runtime reads (Espruino names are at most 28 characters). */
export const ESPRUINO_STORAGE_FILE = 'astarte.json'

type PreferenceValue = string | { readonly base64: string }

/** DER bytes of a PEM block, base64 (what `Preference.set` stores as an ArrayBuffer). */
function derBase64(pem: string): string {
  const body = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '')
  return Buffer.from(body, 'base64').toString('base64')
}

/**
 * Moddable's form: string and DER values for `Preference.set(domain, key, value)`, binary as
 * `{ base64 }` (an ArrayBuffer on the device). Throws `local.invalid_config` when a value would
 * not fit a preference, naming the key but never the value.
 */
export function moddablePreferences(bundle: CredentialsBundle): {
  readonly domain: string
  readonly values: Readonly<Record<string, PreferenceValue>>
} {
  const values: Record<string, PreferenceValue> = {
    realm: bundle.realm,
    pairingUrl: bundle.pairingUrl,
    deviceId: bundle.deviceId,
    secret: bundle.credentialsSecret,
    brokerUrl: bundle.brokerUrl,
    key: { base64: derBase64(bundle.privateKeyPem) },
    csr: { base64: derBase64(bundle.csrPem) },
    cert: { base64: derBase64(bundle.certificatePem) },
    ...(bundle.caPem === undefined ? {} : { ca: { base64: derBase64(bundle.caPem) } }),
  }
  for (const [key, value] of Object.entries(values)) {
    const bytes =
      typeof value === 'string'
        ? Buffer.byteLength(value)
        : Buffer.from(value.base64, 'base64').length
    if (key.length > PREFERENCE_NAME_MAX || bytes > PREFERENCE_VALUE_MAX) {
      throw new SdkError(
        'local.invalid_config',
        `the Moddable preference '${key}' would hold ${bytes} bytes; a preference holds at most ` +
          `${PREFERENCE_VALUE_MAX} (a CA chain this long belongs in a resource, not a preference)`,
      )
    }
  }
  return { domain: MODDABLE_PREFERENCE_DOMAIN, values }
}

/** Espruino's form: a script the Espruino tools send once, writing the bundle into `Storage`. */
export function espruinoStorageScript(bundle: CredentialsBundle): string {
  const { format: _format, ...rest } = bundle
  // Storage.write keeps the bytes as given: the runtime reads them back with Storage.readJSON.
  return `require("Storage").write(${JSON.stringify(ESPRUINO_STORAGE_FILE)}, ${JSON.stringify(JSON.stringify(rest))});\n`
}

/** The Node runtime's credentials store files (relative to `node-store/<deviceId>/`). */
export function nodeStoreFiles(bundle: CredentialsBundle): Readonly<Record<string, string>> {
  return {
    [CREDENTIAL_FILES.privateKey]: bundle.privateKeyPem,
    [CREDENTIAL_FILES.certificate]: bundle.certificatePem,
    [CREDENTIAL_FILES.credentialsSecret]: bundle.credentialsSecret,
  }
}

const REQUIRED = [
  'realm',
  'pairingUrl',
  'deviceId',
  'credentialsSecret',
  'brokerUrl',
  'privateKeyPem',
  'csrPem',
  'certificatePem',
] as const

/**
 * Checks a parsed bundle: the format tag, every field, and that the certificate is for
 * `<realm>/<deviceId>` and belongs to the bundle's key. Throws `local.invalid_config` naming the
 * first problem (never a secret's content).
 */
export function checkBundle(doc: unknown, where: string): CredentialsBundle {
  const bad = (what: string): never => {
    throw new SdkError('local.invalid_config', `${where}: ${what}`)
  }
  if (typeof doc !== 'object' || doc === null) return bad('not a JSON object')
  const record = doc as Record<string, unknown>
  if (record['format'] !== BUNDLE_FORMAT) return bad(`"format" is not "${BUNDLE_FORMAT}"`)
  for (const key of REQUIRED) {
    if (typeof record[key] !== 'string' || record[key] === '') return bad(`"${key}" is missing`)
  }
  const bundle = doc as CredentialsBundle
  let cert: X509Certificate
  try {
    cert = new X509Certificate(bundle.certificatePem)
  } catch {
    return bad('"certificatePem" is not a PEM certificate')
  }
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1]
  if (cn !== `${bundle.realm}/${bundle.deviceId}`) {
    return bad(`the certificate is for '${cn ?? '?'}', not '${bundle.realm}/${bundle.deviceId}'`)
  }
  let matches: boolean
  try {
    matches = cert.checkPrivateKey(createPrivateKey(bundle.privateKeyPem))
  } catch {
    return bad('"privateKeyPem" is not a PEM private key')
  }
  if (!matches) return bad("the certificate does not belong to the bundle's private key")
  return bundle
}
