import { test } from 'node:test'
import assert from 'node:assert/strict'
import { webcrypto } from 'node:crypto'
import fc from 'fast-check'
import { x509 } from '../src/crypto/x509.js'
import { subjectCommonName } from '../src/crypto/subject-common-name.js'

// each run signs a certificate: fewer runs than the pure codec properties
const numRuns = Number(process.env.FC_NUM_RUNS ?? 10_000) / 20
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }

type Encoding = 'utf8String' | 'printableString' | 'ia5String' | 'bmpString'

const printable = fc.stringMatching(/^[A-Za-z0-9 '()+,./:=?-]{1,40}$/)
const ascii = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
})
const bmp = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
})
const anyText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 })

const attribute = fc.oneof(
  fc.record({ enc: fc.constant<Encoding>('utf8String'), text: anyText }),
  fc.record({ enc: fc.constant<Encoding>('printableString'), text: printable }),
  fc.record({ enc: fc.constant<Encoding>('ia5String'), text: ascii }),
  fc.record({ enc: fc.constant<Encoding>('bmpString'), text: bmp }),
)

async function certificate(
  keys: webcrypto.CryptoKeyPair,
  rdns: { type: 'CN' | 'O'; enc: Encoding; text: string }[],
  version3: boolean,
): Promise<Uint8Array> {
  const name = new x509.Name(rdns.map((r) => ({ [r.type]: [{ [r.enc]: r.text }] })))
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '01',
      subject: name,
      issuer: new x509.Name([{ CN: [{ utf8String: 'issuer' }] }]),
      notBefore: new Date(0),
      notAfter: new Date(86_400_000),
      signingKey: keys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: alg,
      ...(version3 ? { extensions: [new x509.BasicConstraintsExtension(false)] } : {}),
    },
    webcrypto,
  )
  return new Uint8Array(cert.rawData)
}

test('subjectCommonName agrees with @peculiar/x509 on the first subject CN', async () => {
  const keys = (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ type: fc.constantFrom<'CN' | 'O'>('CN', 'O'), attr: attribute }), {
        maxLength: 4,
      }),
      fc.boolean(),
      async (rdns, version3) => {
        const der = await certificate(
          keys,
          rdns.map((r) => ({ type: r.type, ...r.attr })),
          version3,
        )
        const oracle = new x509.X509Certificate(der).subjectName.getField('CN')[0] ?? ''
        assert.equal(subjectCommonName(der), oracle)
      },
    ),
    { seed: 0x5c11, numRuns },
  )
})

test('subjectCommonName refuses what is not a certificate', () => {
  for (const der of [
    new Uint8Array(),
    Uint8Array.of(0x30, 0x05, 0x30),
    Uint8Array.of(0x04, 0x00),
  ]) {
    assert.equal(subjectCommonName(der), undefined)
  }
})
