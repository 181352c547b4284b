/** @module pki (test helper): a throw-away CA issuing server and client certificates, EC P-256 */
import { webcrypto } from 'node:crypto'
import type * as X509 from '@peculiar/x509'
import { toPem } from '../../src/crypto/pem.js'
import { x509 } from '../../src/crypto/x509.js'
import { commonNameOnly } from '../../src/crypto/csr.js'

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
// Backdated so that a broker whose clock is a little behind still accepts fresh certificates.
const SKEW_MS = 60_000

export interface TestCa {
  readonly certPem: string
  readonly keyPem: string
  readonly cert: X509.X509Certificate
  readonly keys: webcrypto.CryptoKeyPair
}

export interface IssuedCertificate {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

const newKeys = async (): Promise<webcrypto.CryptoKeyPair> =>
  (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair

const keyPem = async (k: webcrypto.CryptoKey): Promise<string> =>
  toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', k))

// A leading 1 nibble keeps the DER INTEGER positive and of fixed length.
const serial = (): string =>
  '1' + Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex')

/** A self-signed CA valid for a day. */
export async function createCa(commonName: string): Promise<TestCa> {
  const keys = await newKeys()
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: commonNameOnly(commonName),
      notBefore: new Date(Date.now() - SKEW_MS),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  )
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey), cert, keys }
}

export interface IssueOptions {
  readonly commonName: string
  readonly lifetimeSec: number
  /** Subject public key; a fresh P-256 key when absent. */
  readonly publicKey?: webcrypto.CryptoKey
  /** DNS names and IPs for a server certificate's SAN. */
  readonly serverNames?: readonly string[]
  readonly notBeforeMs?: number
}

/** A leaf certificate signed by `ca`; `privateKeyPem` is empty when `publicKey` was given. */
export async function issueCertificate(ca: TestCa, o: IssueOptions): Promise<IssuedCertificate> {
  const keys = o.publicKey === undefined ? await newKeys() : undefined
  const publicKey = o.publicKey ?? keys?.publicKey
  if (publicKey === undefined) throw new Error('no public key')
  const notBefore = o.notBeforeMs ?? Date.now() - SKEW_MS
  const server = o.serverNames !== undefined
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([server ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2']),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, webcrypto),
  ]
  if (server) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        (o.serverNames ?? []).map((n) =>
          /^[\d.]+$|:/.test(n) ? { type: 'ip', value: n } : { type: 'dns', value: n },
        ),
      ),
    )
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: commonNameOnly(o.commonName),
      issuer: ca.cert.subjectName,
      notBefore: new Date(notBefore),
      notAfter: new Date(notBefore + SKEW_MS + o.lifetimeSec * 1000),
      publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: alg,
      extensions,
    },
    webcrypto,
  )
  return {
    certificatePem: cert.toString('pem') + '\n',
    privateKeyPem: keys === undefined ? '' : await keyPem(keys.privateKey),
  }
}

/** A client certificate (CN = MQTT username, `<realm>/<device_id>` for Astarte). */
export function issueClientCertificate(
  ca: TestCa,
  commonName: string,
  options: { readonly lifetimeSec: number },
): Promise<IssuedCertificate> {
  return issueCertificate(ca, { commonName, lifetimeSec: options.lifetimeSec })
}

/** Signs a PEM CSR with `ca` as the Pairing API would (spec §4.3.4): subject CN from the CSR. */
export async function signCsr(ca: TestCa, csrPem: string, lifetimeSec: number): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem)
  const publicKey = await csr.publicKey.export(webcrypto)
  const cn = csr.subjectName.getField('CN')[0] ?? ''
  return (await issueCertificate(ca, { commonName: cn, lifetimeSec, publicKey })).certificatePem
}
