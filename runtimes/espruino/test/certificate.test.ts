/**
 * The DER reader behind the Espruino CryptoProvider gives what Node's X.509 parser gives: the
 * subject CN, validity and serial of generated certificates (UTCTime and GeneralizedTime), and
 * a typed error, never a crash, for anything else.
 */
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import forge from 'node-forge'
import { SdkError } from '@astarte-ts/sdk-core'
import { parseCertificate } from '../src/certificate.js'

const keys = forge.pki.rsa.generateKeyPair(1024)

function certificate(cn: string, notBefore: Date, notAfter: Date, serial: string): string {
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serial
  cert.validity.notBefore = notBefore
  cert.validity.notAfter = notAfter
  cert.setSubject([
    { shortName: 'O', value: 'astarte-ts' },
    { name: 'commonName', value: cn },
  ])
  cert.setIssuer([{ name: 'commonName', value: 'test CA' }])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return forge.pki.certificateToPem(cert)
}

test('subject CN, validity and serial as Node reads them', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z0-9]{1,12}\/[A-Za-z0-9_-]{22}$/),
      // UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280)
      fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2080, 0, 1) / 1000 }),
      fc.stringMatching(/^[1-7][0-9a-f]{1,15}$/),
      (cn, seconds, serial) => {
        const from = new Date(seconds * 1000)
        const to = new Date((seconds + 86_400 * 30) * 1000)
        const pem = certificate(cn, from, to, serial)
        const node = new X509Certificate(pem)
        const info = parseCertificate(pem)
        assert.equal(info.subjectCommonName, cn)
        assert.equal(info.notBeforeMs, Date.parse(node.validFrom))
        assert.equal(info.notAfterMs, Date.parse(node.validTo))
        assert.equal(
          info.serialNumber,
          node.serialNumber.toLowerCase().padStart(serial.length + (serial.length % 2), '0'),
        )
      },
    ),
    { numRuns: 25 },
  )
})

test('anything but a certificate is a local.invalid_certificate error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(bytes).toString('base64')}\n-----END CERTIFICATE-----`
      try {
        parseCertificate(pem)
      } catch (e) {
        assert.ok(e instanceof SdkError)
        assert.equal(e.code, 'local.invalid_certificate')
      }
    }),
  )
})

test('a CN of 4096 characters is read whole (fields are sliced, never spread into a call)', () => {
  const cn = `realm/${'x'.repeat(4096)}`
  const pem = certificate(cn, new Date(0), new Date(1e12), '01')
  const info = parseCertificate(pem)
  assert.equal(info.subjectCommonName, cn)
  assert.equal(info.notAfterMs, 1e12)
})
