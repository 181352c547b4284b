/**
 * @module test pki (test helper): real X.509 for the pairing tests — keys from node:crypto,
 * CSRs and certificates from node-forge, parsing with node's X509Certificate. RSA-1024 keeps
 * key generation fast; the machine only passes PEM text through.
 */
import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto'
import forge from 'node-forge'
import type { CertificateInfo } from '@astarte-ts/sdk-core'

const rsaKeys = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 1024,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })

/** What a runtime's `crypto.createKeyAndCsr` produces: a new key and a CSR signed by it. */
export function newKeyAndCsr(commonName: string): { privateKeyPem: string; csrPem: string } {
  const privateKeyPem = rsaKeys().privateKey
  const key = forge.pki.privateKeyFromPem(privateKeyPem)
  const csr = forge.pki.createCertificationRequest()
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  csr.setSubject([{ name: 'commonName', value: commonName }])
  csr.sign(key, forge.md.sha256.create())
  return { privateKeyPem, csrPem: forge.pki.certificationRequestToPem(csr) }
}

export interface TestCa {
  /** Signs a CSR, forcing the subject to `CN=<commonName>` as Pairing does (spec §4.3.4). */
  sign(csrPem: string, commonName: string, notBeforeMs: number, notAfterMs: number): string
  /** Whether the certificate was issued by this CA. */
  issued(certificatePem: string): boolean
}

export function createTestCa(): TestCa {
  const keys = rsaKeys()
  const caKey = forge.pki.privateKeyFromPem(keys.privateKey)
  const caName = [{ name: 'commonName', value: 'pairing test ca' }]
  let serial = 0
  return {
    sign(csrPem, commonName, notBeforeMs, notAfterMs) {
      const csr = forge.pki.certificationRequestFromPem(csrPem)
      if (!csr.verify()) throw new Error('bad csr signature')
      const cert = forge.pki.createCertificate()
      cert.publicKey = csr.publicKey as forge.pki.PublicKey
      serial += 1
      cert.serialNumber = serial.toString(16).padStart(2, '0')
      cert.validity.notBefore = new Date(notBeforeMs)
      cert.validity.notAfter = new Date(notAfterMs)
      cert.setSubject([{ name: 'commonName', value: commonName }])
      cert.setIssuer(caName)
      cert.sign(caKey, forge.md.sha256.create())
      return forge.pki.certificateToPem(cert)
    },
    issued(certificatePem) {
      try {
        return new X509Certificate(certificatePem).verify(createPublicKey(keys.publicKey))
      } catch {
        return false
      }
    },
  }
}

/** The runtime's `CryptoProvider.parseCertificate`, on node's X509Certificate. */
export function parseCertificate(pem: string): CertificateInfo {
  const cert = new X509Certificate(pem)
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1]
  if (cn === undefined) throw new Error('certificate has no common name')
  return {
    subjectCommonName: cn,
    notBeforeMs: Date.parse(cert.validFrom),
    notAfterMs: Date.parse(cert.validTo),
    serialNumber: cert.serialNumber,
  }
}
