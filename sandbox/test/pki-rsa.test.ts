/**
 * The RSA PKI (`pki: 'rsa'`) for boards whose TLS has no ECDSA, over real TLS: a node:tls client
 * limited to what Espruino's mbedTLS offers (TLS 1.2, RSA and DHE-RSA key exchanges, RSA
 * signatures) completes mutual TLS and MQTT with an RSA device key, the negotiated suite is
 * RSA-authenticated and every certificate of the chain is RSA-signed RSA; the same client
 * can't reach the default EC broker.
 */
import 'reflect-metadata'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls'
import { after, before, describe, it } from 'node:test'
import * as x509 from '@peculiar/x509'
import mqttPacket from 'mqtt-packet'
import type { Sandbox } from '../src/index.js'
import { makeCsr, newDeviceId, provisionDevice, register, call, credentialsUrl } from './helpers.js'
import { testSandbox } from './helpers.js'

/** The suites of Espruino's mbedTLS 2.1.1 build (`libs/crypto/mbedtls/config.h`), OpenSSL names. */
const ESPRUINO_CIPHERS = [
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-SHA256',
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
  'AES256-SHA256',
  'AES128-SHA256',
  'AES256-SHA',
  'AES128-SHA',
].join(':')
const ESPRUINO_SIGALGS = 'RSA+SHA512:RSA+SHA384:RSA+SHA256:RSA+SHA1'

interface Outcome {
  readonly socket: TLSSocket
  readonly cipher: string
  readonly chain: readonly PeerCertificate[]
}

/** Mutual TLS to the broker as Espruino's mbedTLS would do it; rejects if the handshake fails. */
function espruinoTls(sb: Sandbox, tls: { certPem: string; keyPem: string }): Promise<Outcome> {
  const url = new URL(sb.mqttUrl)
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      ca: sb.caPem,
      cert: tls.certPem,
      key: tls.keyPem,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ciphers: ESPRUINO_CIPHERS,
      sigalgs: ESPRUINO_SIGALGS,
    })
    socket.once('error', reject)
    socket.once('secureConnect', () => {
      const chain: PeerCertificate[] = []
      for (let c = socket.getPeerCertificate(true); ; c = c.issuerCertificate) {
        chain.push(c)
        if (c.issuerCertificate === undefined || c.issuerCertificate === c) break
      }
      resolve({ socket, cipher: socket.getCipher().standardName, chain })
    })
  })
}

/** CONNECT on an open socket; resolves with the CONNACK's return code. */
function mqttConnect(socket: TLSSocket, clientId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const parser = mqttPacket.parser()
    parser.on('packet', (p) => resolve((p as { returnCode: number }).returnCode))
    socket.on('data', (chunk: Buffer) => parser.parse(chunk))
    socket.once('close', () => reject(new Error('closed before CONNACK')))
    const connectPacket = { cmd: 'connect', clientId, clean: true, keepalive: 30 }
    socket.write(mqttPacket.generate(connectPacket as unknown as mqttPacket.Packet))
  })
}

/** `sha256WithRSAEncryption` and an RSA-2048 key, or what the certificate has instead. */
function describeCert(pem: string): { key: string; signature: string } {
  const cert = new x509.X509Certificate(pem)
  const alg = cert.publicKey.algorithm as { name: string; modulusLength?: number }
  const sig = cert.signatureAlgorithm as { name: string; hash?: { name: string } }
  return {
    key: `${alg.name}${alg.modulusLength === undefined ? '' : `-${alg.modulusLength}`}`,
    signature: `${sig.name}/${sig.hash?.name ?? '?'}`,
  }
}

/**
 * The CA's key identifiers, hex: an Authority Key Identifier equal to its Subject Key Identifier,
 * as OpenSSL writes a root (Moddable's certificate check throws on a root without one).
 */
function keyIdentifiers(pem: string): { ski?: string; aki?: string } {
  const cert = new x509.X509Certificate(pem)
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId
  return { ...(ski === undefined ? {} : { ski }), ...(aki === undefined ? {} : { aki }) }
}

const RSA_KEY = 'RSASSA-PKCS1-v1_5-2048'
const RSA_SIGNATURE = 'RSASSA-PKCS1-v1_5/SHA-256'
const toPem = (raw: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${raw.toString('base64')}\n-----END CERTIFICATE-----\n`

describe("the sandbox's RSA PKI (pki: 'rsa')", () => {
  let sb: Sandbox
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-rsa-'))
  before(async () => {
    sb = await testSandbox({ pki: 'rsa', dataDir })
  })
  after(async () => {
    await sb?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('has an RSA-2048 CA that signs with RSA, device certificates from EC or RSA CSRs', async () => {
    assert.equal(sb.pki, 'rsa')
    assert.deepEqual(describeCert(sb.caPem), { key: RSA_KEY, signature: RSA_SIGNATURE })
    const ids = keyIdentifiers(sb.caPem)
    assert.ok(ids.ski !== undefined && ids.ski === ids.aki, JSON.stringify(ids))
    const rsa = await provisionDevice(sb, 'rsa')
    assert.deepEqual(describeCert(rsa.certPem), { key: RSA_KEY, signature: RSA_SIGNATURE })
    const ec = await provisionDevice(sb, 'ec')
    assert.deepEqual(describeCert(ec.certPem), { key: 'ECDSA', signature: RSA_SIGNATURE })
  })

  it("completes mutual TLS and MQTT with only Espruino's suites: RSA-authenticated, an RSA chain", async () => {
    const device = await provisionDevice(sb, 'rsa')
    const { socket, cipher, chain } = await espruinoTls(sb, device)
    try {
      // DHE-RSA: the broker offers DH parameters, so the key exchange has forward secrecy
      assert.match(cipher, /^TLS_DHE_RSA_WITH_/)
      assert.equal(socket.authorized, true, String(socket.authorizationError))
      assert.ok(chain.length >= 1)
      for (const c of chain) {
        assert.deepEqual(describeCert(toPem(c.raw)), { key: RSA_KEY, signature: RSA_SIGNATURE })
      }
      assert.equal(await mqttConnect(socket, 'any'), 0)
    } finally {
      socket.destroy()
    }
  })

  it('keeps its kind across a restart and refuses another kind for the same data directory', async () => {
    await sb.stop()
    await assert.rejects(testSandbox({ pki: 'ec', dataDir }), /is RSA, not EC/)
    sb = await testSandbox({ dataDir })
    assert.equal(sb.pki, 'rsa')
    const deviceId = newDeviceId()
    const secret = await register(sb, deviceId)
    const { csrPem } = await makeCsr('rsa', `${sb.realm}/${deviceId}`)
    const res = await call('POST', credentialsUrl(sb, deviceId), {
      auth: `Bearer ${secret}`,
      body: { data: { csr: csrPem } },
    })
    assert.equal(res.status, 201)
    const pem = (res.json as { data: { client_crt: string } }).data.client_crt
    assert.equal(describeCert(pem).signature, RSA_SIGNATURE)
  })
})

describe('the default EC PKI', () => {
  it("is out of reach of a client limited to Espruino's suites", async () => {
    const sb = await testSandbox()
    try {
      assert.equal(sb.pki, 'ec')
      assert.equal(describeCert(sb.caPem).signature, 'ECDSA/SHA-256')
      const ids = keyIdentifiers(sb.caPem)
      assert.ok(ids.ski !== undefined && ids.ski === ids.aki, JSON.stringify(ids))
      const device = await provisionDevice(sb, 'rsa')
      await assert.rejects(espruinoTls(sb, device), /handshake failure|no shared cipher|alert/i)
    } finally {
      await sb.stop()
    }
  })
})
