/**
 * @module node crypto provider: keys from WebCrypto (node:crypto), CSRs from @peculiar/x509
 * (loaded only when a CSR is made), certificates parsed by node:crypto's X509Certificate. Private keys leave only as PKCS#8 PEM in
 * the return value, never in errors or logs.
 */
import { X509Certificate, webcrypto } from 'node:crypto'
import { SdkError, assertNever } from '@astarte-ts/sdk-core'
import type { CertificateInfo, CryptoProvider, KeyAlgorithm } from '@astarte-ts/sdk-core'
import { toPem } from './pem.js'
import { subjectCommonName } from './subject-common-name.js'

type EcdsaParams = webcrypto.EcdsaParams

interface KeyParams {
  readonly generate: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams
  readonly sign: webcrypto.Algorithm | EcdsaParams
}

// spec §4.5: P-256 + ecdsa-with-SHA256 like every official SDK; RSA-2048 + sha256WithRSAEncryption.
function keyParams(algorithm: KeyAlgorithm): KeyParams {
  switch (algorithm) {
    case 'ec-p256':
      return {
        generate: { name: 'ECDSA', namedCurve: 'P-256' },
        sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
      }
    case 'rsa-2048':
      return {
        generate: {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        },
        sign: { name: 'RSASSA-PKCS1-v1_5' },
      }
    default:
      return assertNever(algorithm)
  }
}

async function createKeyAndCsr(
  algorithm: KeyAlgorithm,
  commonName: string,
): Promise<{ readonly privateKeyPem: string; readonly csrPem: string }> {
  const params = keyParams(algorithm)
  try {
    const keys = (await webcrypto.subtle.generateKey(params.generate, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair
    const { createCsrPem } = await import('./csr.js')
    const csrPem = await createCsrPem(keys, commonName, params.sign)
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)
    return { privateKeyPem: toPem('PRIVATE KEY', pkcs8), csrPem }
  } catch (cause) {
    throw new SdkError('local.csr_failed', "couldn't create a key pair and CSR", {
      ctx: { algorithm },
      cause,
    })
  }
}

function parseCertificate(pem: string): CertificateInfo {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(pem)
  } catch (cause) {
    throw new SdkError('remote.certificate_unparsable', "couldn't parse the certificate PEM", {
      cause,
    })
  }
  // the CN exactly as encoded: node's `subject` string escapes and joins fields
  const subjectCn = subjectCommonName(new Uint8Array(cert.raw))
  if (subjectCn === undefined) {
    throw new SdkError('remote.certificate_unparsable', "couldn't read the certificate subject")
  }
  return {
    subjectCommonName: subjectCn,
    notBeforeMs: Date.parse(cert.validFrom),
    notAfterMs: Date.parse(cert.validTo),
    serialNumber: cert.serialNumber.toLowerCase(),
  }
}

/** `CryptoProvider` for Node: EC P-256 (default in the core) or RSA-2048 keys, PKCS#10 CSRs. */
export const nodeCryptoProvider = { createKeyAndCsr, parseCertificate } satisfies CryptoProvider

/** Class form of {@link nodeCryptoProvider}, for callers that construct their adapters. */
export class NodeCryptoProvider implements CryptoProvider {
  createKeyAndCsr = createKeyAndCsr
  parseCertificate = parseCertificate
}
