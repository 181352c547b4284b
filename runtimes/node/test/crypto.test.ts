import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SdkError } from '@astarte-ts/sdk-core'
import { NodeCryptoProvider, nodeCryptoProvider } from '../src/crypto/index.js'
import { createCa, issueCertificate, signCsr } from './helpers/pki.js'
import { tempDir } from './helpers/tmp.js'

const openssl = (args: string[], input?: string): string =>
  execFileSync('openssl', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) })

const cn = 'test/AJInS0w3VpWpuOqkXhgZdA'

for (const algorithm of ['ec-p256', 'rsa-2048'] as const) {
  test(`${algorithm}: CSR verifies with openssl, subject CN, signature algorithm, key matches`, async (t) => {
    const dir = tempDir(t)
    const { privateKeyPem, csrPem } = await nodeCryptoProvider.createKeyAndCsr(algorithm, cn)
    assert.match(privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/)
    const csrFile = join(dir, 'req.csr')
    writeFileSync(csrFile, csrPem)
    // `-verify` exits non-zero when the self-signature is wrong
    openssl(['req', '-in', csrFile, '-verify', '-noout'])
    const subject = openssl(['req', '-in', csrFile, '-noout', '-subject', '-nameopt', 'RFC2253'])
    assert.equal(subject.trim(), `subject=CN=${cn}`)
    const text = openssl(['req', '-in', csrFile, '-noout', '-text'])
    const sigAlg = algorithm === 'ec-p256' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption'
    assert.match(text, new RegExp(`Signature Algorithm: ${sigAlg}`))
    if (algorithm === 'ec-p256') assert.match(text, /NIST CURVE: P-256|prime256v1/)
    else assert.match(text, /Public-Key: \(2048 bit\)/)
    // the CSR's public key is the private key's
    const key = createPrivateKey(privateKeyPem)
    const csrPub = openssl(['req', '-in', csrFile, '-noout', '-pubkey'])
    assert.equal(
      createPublicKey(key).export({ type: 'spki', format: 'pem' }),
      createPublicKey(csrPub).export({ type: 'spki', format: 'pem' }),
    )
    // PKCS#8 readable by openssl too
    const keyFile = join(dir, 'key.pem')
    writeFileSync(keyFile, privateKeyPem, { mode: 0o600 })
    openssl(['pkey', '-in', keyFile, '-noout'])
  })
}

test('each call yields a fresh key', async () => {
  const a = await nodeCryptoProvider.createKeyAndCsr('ec-p256', cn)
  const b = await new NodeCryptoProvider().createKeyAndCsr('ec-p256', cn)
  assert.notEqual(a.privateKeyPem, b.privateKeyPem)
})

test('CN with RFC 4514 special characters is kept verbatim', async () => {
  const odd = 'r,e+a=l/"dev"\\1'
  const { csrPem } = await nodeCryptoProvider.createKeyAndCsr('ec-p256', odd)
  const ca = await createCa('odd ca')
  const info = nodeCryptoProvider.parseCertificate(await signCsr(ca, csrPem, 3600))
  assert.equal(info.subjectCommonName, odd)
})

test('parseCertificate agrees with openssl x509 on CN, validity and serial', async (t) => {
  const dir = tempDir(t)
  const ca = await createCa('parse ca')
  const { csrPem } = await nodeCryptoProvider.createKeyAndCsr('ec-p256', cn)
  const pem = await signCsr(ca, csrPem, 2190 * 3600)
  const info = nodeCryptoProvider.parseCertificate(pem)
  const file = join(dir, 'c.pem')
  writeFileSync(file, pem)
  const out = openssl([
    'x509',
    '-in',
    file,
    '-noout',
    '-subject',
    '-serial',
    '-startdate',
    '-enddate',
    '-nameopt',
    'RFC2253',
  ])
  const field = (name: string): string => {
    const line = out.split('\n').find((l) => l.startsWith(`${name}=`))
    assert.ok(line !== undefined, name)
    return line.slice(name.length + 1)
  }
  assert.equal(`CN=${info.subjectCommonName}`, field('subject'))
  assert.equal(info.serialNumber, field('serial').toLowerCase())
  assert.equal(info.notBeforeMs, Date.parse(field('notBefore')))
  assert.equal(info.notAfterMs, Date.parse(field('notAfter')))
  assert.equal(info.notAfterMs - info.notBeforeMs, 2190 * 3600 * 1000 + 60_000)
})

test('parseCertificate reads a leaf with a given validity window exactly (second precision)', async () => {
  const ca = await createCa('window ca')
  const notBeforeMs = Date.UTC(2030, 0, 2, 3, 4, 5)
  const { certificatePem } = await issueCertificate(ca, {
    commonName: 'a/b',
    lifetimeSec: 100,
    notBeforeMs,
  })
  const info = nodeCryptoProvider.parseCertificate(certificatePem)
  assert.equal(info.notBeforeMs, notBeforeMs)
  assert.equal(info.notAfterMs, notBeforeMs + 60_000 + 100_000)
  assert.equal(info.serialNumber, new X509Certificate(certificatePem).serialNumber.toLowerCase())
})

test('parseCertificate of garbage throws remote.certificate_unparsable without echoing input', () => {
  const junk = '-----BEGIN CERTIFICATE-----\nc2VjcmV0\n-----END CERTIFICATE-----\n'
  assert.throws(
    () => nodeCryptoProvider.parseCertificate(junk),
    (e: unknown) =>
      e instanceof SdkError &&
      e.code === 'remote.certificate_unparsable' &&
      !e.message.includes('c2VjcmV0'),
  )
})
