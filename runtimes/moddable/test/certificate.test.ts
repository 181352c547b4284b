/**
 * The chip's X.509 reader against node-forge's certificates and the Node runtime's reader: same
 * CN, validity and serial, for UTCTime and GeneralizedTime dates, long and short serials.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import forge from 'node-forge'
import { nodeCryptoProvider } from '@astarte-ts/runtime-node'
import { SdkError } from '@astarte-ts/sdk-core'
import { parseCertificate } from '../src/certificate.js'

const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 })

function certificate(cn: string, serialHex: string, from: Date, to: Date): string {
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serialHex
  cert.validity.notBefore = from
  cert.validity.notAfter = to
  cert.setSubject([
    { name: 'commonName', value: cn },
    { name: 'organizationName', value: 'x' },
  ])
  cert.setIssuer([{ name: 'commonName', value: 'test CA' }])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return forge.pki.certificateToPem(cert)
}

const second = 1000
const dates = fc
  .integer({ min: Date.UTC(1990, 0, 1) / second, max: Date.UTC(2099, 0, 1) / second })
  .map((s) => new Date(s * second))

test('reads what node-forge wrote as the Node runtime reads it', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z][a-z0-9]{0,8}\/[A-Za-z0-9_-]{22}$/),
      fc.stringMatching(/^[1-7][0-9a-f]{0,31}$/),
      dates,
      dates,
      (cn, serial, a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a]
        const pem = certificate(cn, serial.length % 2 === 0 ? serial : `0${serial}`, from, to)
        const info = parseCertificate(pem)
        assert.deepEqual(info, nodeCryptoProvider.parseCertificate(pem))
        assert.equal(info.subjectCommonName, cn)
        assert.equal(info.notBeforeMs, from.getTime())
        assert.equal(info.notAfterMs, to.getTime())
      },
    ),
    { seed: 16, numRuns: 60 },
  )
})

test('a truncated or non-certificate PEM is a typed error', () => {
  const pem = certificate('test/x', '01', new Date(0), new Date(1e12))
  const body = pem.split('\n').slice(1, -2).join('')
  const truncated = `-----BEGIN CERTIFICATE-----\n${body.slice(0, 120)}\n-----END CERTIFICATE-----\n`
  for (const bad of [truncated, 'no pem here']) {
    assert.throws(
      () => parseCertificate(bad),
      (e) => e instanceof SdkError && /^local\.invalid_(certificate|pem)$/.test(e.code),
    )
  }
})
