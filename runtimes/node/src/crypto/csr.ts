/**
 * @module csr: PKCS#10 requests with @peculiar/x509. Loaded on demand (first boot, renewal):
 * the library and its ASN.1 stack are a large share of a cold start that needs no CSR.
 */
import { webcrypto } from 'node:crypto'
import { x509 } from './x509.js'

/**
 * Subject `CN=<commonName>` as a UTF8String. The typed-value form is the only one @peculiar/x509
 * takes verbatim: plain strings go through RFC 4514 unquoting (`a"b"` would become `b`).
 */
export const commonNameOnly = (commonName: string): InstanceType<typeof x509.Name> =>
  new x509.Name([{ CN: [{ utf8String: commonName }] }])

/** A PEM CSR for `CN=<commonName>` signed by `keys` (trailing newline included). */
export async function createCsrPem(
  keys: webcrypto.CryptoKeyPair,
  commonName: string,
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams,
): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: commonNameOnly(commonName), keys, signingAlgorithm },
    webcrypto,
  )
  return csr.toString('pem') + '\n'
}
