/**
 * @module pki ca: the sandbox's certification authority. It signs device CSRs with the subject
 * forced to `CN=<realm>/<device_id>` (spec §4.3.4) and the broker's server certificate; its key
 * never leaves the data directory (0600). EC P-256 by default; RSA-2048 (`pki: 'rsa'`) for
 * boards whose TLS stack has no ECDSA (Espruino's mbedTLS: RSA and DHE-RSA key exchanges only),
 * which can neither verify an ECDSA signature nor use a broker key that is not RSA.
 */
import { randomBytes, webcrypto } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { writePublicFile, writeSecretFile } from '../files.js'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

type CryptoKey = webcrypto.CryptoKey

/** The key type of the CA, of its signatures and of the broker's certificate. */
export type PkiKind = 'ec' | 'rsa'

interface Pki {
  readonly signing: { readonly name: string; readonly hash: string }
  readonly key: EcKeyGenParams | RsaHashedKeyGenParams
  readonly import: EcKeyImportParams | RsaHashedImportParams
  /** Key usages of the broker's certificate: RSA key exchange encrypts to the broker's key. */
  readonly serverUsages: number
}

type EcKeyGenParams = webcrypto.EcKeyGenParams
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams
type EcKeyImportParams = webcrypto.EcKeyImportParams
type RsaHashedImportParams = webcrypto.RsaHashedImportParams

const PKI: Readonly<Record<PkiKind, Pki>> = {
  ec: {
    signing: { name: 'ECDSA', hash: 'SHA-256' },
    key: { name: 'ECDSA', namedCurve: 'P-256' },
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    serverUsages: x509.KeyUsageFlags.digitalSignature,
  },
  rsa: {
    signing: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    key: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    serverUsages: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
  },
}
const CA_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000

/** A signed certificate with the identifiers the Pairing store keeps. */
export interface IssuedCertificate {
  readonly pem: string
  /** Lower-case hex serial, as the broker compares it against the peer certificate. */
  readonly serial: string
  readonly notAfter: Date
}

/** Outcome of `verify` (spec §4.3.5): the causes Astarte reports. */
export type CertificateCheck =
  | { readonly valid: true; readonly until: Date }
  | { readonly valid: false; readonly cause: InvalidCause }

/** Why a certificate is not valid (spec §4.3.5); `INVALID` = undecodable. */
export type InvalidCause = 'EXPIRED' | 'INVALID_ISSUER' | 'INVALID_SIGNATURE' | 'INVALID'

export interface CertificateAuthority {
  readonly certPem: string
  /** The key type of the CA and of the server certificates it issues. */
  readonly pki: PkiKind
  /** Path of the CA certificate PEM in the data directory. */
  readonly certFile: string
  /** Signs a parsed CSR's public key with the subject forced to `CN=<cn>`. */
  signDeviceCsr(csr: ParsedCsr, cn: string, lifetimeSec: number): Promise<IssuedCertificate>
  issueServerCertificate(hosts: readonly string[], lifetimeSec: number): Promise<ServerCredentials>
  verify(certPem: string, now: Date): Promise<CertificateCheck>
}

/** A server certificate and its private key (PKCS#8 PEM), for a TLS listener. */
export interface ServerCredentials {
  readonly certPem: string
  readonly keyPem: string
}

/**
 * Loads the CA from `dir` (`ca.pem`, `ca-key.pem`) or creates it there on first start, of kind
 * `pki` (default: the kind of the CA already there, EC for a new one). A CA already there of
 * another kind than `pki` is an error: its devices' certificates would not match.
 */
export async function loadOrCreateCa(
  dir: string,
  realm: string,
  pki?: PkiKind,
): Promise<CertificateAuthority> {
  const certFile = join(dir, 'ca.pem')
  const keyFile = join(dir, 'ca-key.pem')
  let cert: x509.X509Certificate
  let key: CryptoKey
  let kind: PkiKind
  if (existsSync(certFile) && existsSync(keyFile)) {
    cert = new x509.X509Certificate(readFileSync(certFile, 'utf8'))
    kind = cert.publicKey.algorithm.name === 'ECDSA' ? 'ec' : 'rsa'
    if (pki !== undefined && pki !== kind) {
      throw new Error(
        `the CA in ${dir} is ${kind.toUpperCase()}, not ${pki.toUpperCase()}: use another data directory`,
      )
    }
    key = await importPrivateKey(readFileSync(keyFile, 'utf8'), kind)
  } else {
    kind = pki ?? 'ec'
    const keys = await webcrypto.subtle.generateKey(PKI[kind].key, true, ['sign', 'verify'])
    const now = Date.now()
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ CN: [`astarte-sandbox ${realm} CA`] }],
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + CA_LIFETIME_MS),
      signingAlgorithm: PKI[kind].signing,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as CryptoKey),
        // equal to the SKI, as OpenSSL writes it: Moddable's certificate check throws on a chain
        // whose self-signed root has none
        await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey as CryptoKey),
      ],
    })
    key = keys.privateKey as CryptoKey
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key)
    writeSecretFile(keyFile, toPem(new Uint8Array(pkcs8), 'PRIVATE KEY'))
    writePublicFile(certFile, cert.toString('pem') + '\n')
  }
  return makeCa(cert, key, certFile, kind)
}

function makeCa(
  cert: x509.X509Certificate,
  key: CryptoKey,
  certFile: string,
  kind: PkiKind,
): CertificateAuthority {
  const certPem = cert.toString('pem') + '\n'
  const pki = PKI[kind]

  async function issue(
    subject: x509.JsonName,
    publicKey: x509.PublicKeyType,
    lifetimeSec: number,
    extensions: x509.Extension[],
  ): Promise<x509.X509Certificate> {
    const now = Date.now()
    return x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject,
      issuer: cert.subjectName,
      // A minute of slack: clocks of devices on the same host may lag by a few ms.
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + lifetimeSec * 1000),
      signingAlgorithm: pki.signing,
      publicKey,
      signingKey: key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(cert, false),
        ...extensions,
      ],
    })
  }

  return {
    certPem,
    pki: kind,
    certFile,
    async signDeviceCsr(csr, cn, lifetimeSec) {
      const issued = await issue([{ CN: [cn] }], csr.publicKey, lifetimeSec, [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      ])
      return {
        pem: issued.toString('pem') + '\n',
        serial: normalizeSerial(issued.serialNumber),
        notAfter: issued.notAfter,
      }
    },
    async issueServerCertificate(hosts, lifetimeSec) {
      const keys = await webcrypto.subtle.generateKey(pki.key, true, ['sign', 'verify'])
      const names: x509.JsonGeneralName[] = hosts.map((h) =>
        isIpAddress(h) ? { type: 'ip', value: h } : { type: 'dns', value: h },
      )
      const subject = [{ CN: [hosts[0] ?? 'localhost'] }]
      const issued = await issue(subject, keys.publicKey as CryptoKey, lifetimeSec, [
        new x509.KeyUsagesExtension(pki.serverUsages, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(names, false),
      ])
      const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as CryptoKey)
      const keyPem = toPem(new Uint8Array(pkcs8), 'PRIVATE KEY')
      return { certPem: issued.toString('pem') + '\n', keyPem }
    },
    async verify(pem, now) {
      let candidate: x509.X509Certificate
      try {
        candidate = new x509.X509Certificate(pem.trim())
      } catch {
        return { valid: false, cause: 'INVALID' }
      }
      if (candidate.issuer !== cert.subject) return { valid: false, cause: 'INVALID_ISSUER' }
      const signed = await candidate
        .verify({ publicKey: cert.publicKey, signatureOnly: true })
        .catch(() => false)
      if (!signed) return { valid: false, cause: 'INVALID_SIGNATURE' }
      if (now < candidate.notBefore || now > candidate.notAfter) {
        return { valid: false, cause: 'EXPIRED' }
      }
      return { valid: true, until: candidate.notAfter }
    },
  }
}

/** A certification request whose self-signature was checked. */
export type ParsedCsr = x509.Pkcs10CertificateRequest

/**
 * Parses exactly one PEM certification request with a valid self-signature (spec §4.3.4), EC or
 * RSA; null otherwise.
 */
export async function parseCsr(pem: string): Promise<ParsedCsr | null> {
  const blocks = pem.match(/-----BEGIN CERTIFICATE REQUEST-----/g) ?? []
  if (blocks.length !== 1) return null
  try {
    const csr = new x509.Pkcs10CertificateRequest(pem.trim())
    return (await csr.verify()) ? csr : null
  } catch {
    return null
  }
}

/** Serials as lower-case hex without leading zeros: the form x509 and node:tls agree on. */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '')
}

function randomSerial(): string {
  const bytes = randomBytes(16)
  // Positive and without a leading zero byte, so DER keeps all 16 bytes.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40
  return bytes.toString('hex')
}

async function importPrivateKey(pem: string, kind: PkiKind): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  return webcrypto.subtle.importKey('pkcs8', der, PKI[kind].import, true, ['sign'])
}

function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')
}
