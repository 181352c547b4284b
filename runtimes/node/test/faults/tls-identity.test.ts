/**
 * Faults of TLS identity (spec §3.1, §4.5) against the sandbox broker: a device that trusts
 * another CA fails to connect with a typed error and keeps its certificate; certificates naming
 * another identity, expired or revoked (superseded by a newer one) are refused by the broker; a
 * device holding an expired or revoked certificate renews it by itself and recovers, data intact.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SdkError, type MqttConnectOptions } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { Device, MqttJsTransport, nodeCryptoProvider } from '../../src/index.js'
import { x509 } from '../../src/crypto/x509.js'
import { createCa, issueCertificate, type TestCa } from '../helpers/pki.js'
import { ProxiedTransport, startSlowProxy } from '../helpers/slow-proxy.js'
import { startMosquittoEnv } from '../interop/mosquitto-env.js'
import {
  RESILIENCE,
  deviceOptions,
  interfacesDir,
  newDeviceId,
  quiet,
  sequenceReport,
  storedSequence,
  waitFor,
} from './sandbox-env.js'

const EC = { name: 'ECDSA', namedCurve: 'P-256' }

/** The sandbox CA as a test CA, to sign certificates the Pairing API would never issue. */
async function sandboxCa(sandbox: Sandbox): Promise<TestCa> {
  const keyPem = readFileSync(join(sandbox.dataDir, 'ca-key.pem'), 'utf8')
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' })
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign'])
  const cert = new x509.X509Certificate(sandbox.caPem)
  const publicKey = await cert.publicKey.export(EC, ['verify'], webcrypto)
  return { certPem: sandbox.caPem, keyPem, cert, keys: { privateKey, publicKey } }
}

/** The public key of a PEM private key, for a certificate on the device's own key. */
async function publicKeyOf(privateKeyPem: string): Promise<webcrypto.CryptoKey> {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' })
  return webcrypto.subtle.importKey('spki', spki, EC, true, ['verify'])
}

interface Broker {
  readonly host: string
  readonly port: number
  readonly caPem: string
}

const sandboxBroker = (sandbox: Sandbox): Broker => {
  const url = new URL(sandbox.mqttUrl)
  return { host: url.hostname, port: Number(url.port), caPem: sandbox.caPem }
}

/** One plain MQTT connection attempt; resolves with its error (`undefined`: it connected). */
async function connectError(
  broker: Broker,
  cert: { certificatePem: string; privateKeyPem: string },
): Promise<unknown> {
  const transport = new MqttJsTransport({ connectTimeoutMs: 10_000 })
  const options: MqttConnectOptions = {
    host: broker.host,
    port: broker.port,
    clientId: 'tls-identity-test',
    keepaliveSec: 30,
    clean: true,
    ...cert,
    caPem: broker.caPem,
    ignoreTlsErrors: false,
  }
  try {
    await transport.connect(options, {
      message: () => undefined,
      published: () => undefined,
      close: () => undefined,
    })
  } catch (e) {
    return e
  }
  await transport.end()
  return undefined
}

function assertRejectedCertificate(e: unknown): void {
  assert.ok(e instanceof SdkError, String(e))
  assert.equal(e.code, 'remote.certificate_rejected')
}

/**
 * Refused, however the broker says it: Node's TLS server (the sandbox) drops a handshake with an
 * expired client certificate without an alert, so only the connection failure is visible.
 */
function assertRefused(e: unknown): void {
  assert.ok(e instanceof SdkError, String(e))
  assert.ok(['remote.certificate_rejected', 'remote.connect_failed'].includes(e.code), e.code)
}

describe('TLS identity faults against the sandbox', () => {
  let sandbox: Sandbox
  let ca: TestCa
  let tmp: string

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'astarte-fault-tls-'))
    sandbox = await startSandbox({ dataDir: join(tmp, 'sandbox'), interfacesDir, logger: quiet })
    ca = await sandboxCa(sandbox)
  })
  after(async () => {
    await sandbox?.stop()
    rmSync(tmp, { recursive: true, force: true })
  })

  test('wrong CA: the broker is not trusted, connect fails with a typed error, no renewal', async (t) => {
    const other = await createCa('not the sandbox CA')
    const options = deviceOptions(sandbox, join(tmp, 'wrong-ca'))
    const device = await Device.open({ ...options, caPem: other.certPem })
    t.after(() => device.close())
    const warnings: unknown[] = []
    device.on('warning', (w) => warnings.push(w.ctx.code))
    const connecting = device.connect()
    connecting.catch(() => undefined)
    const refusals = (): number => warnings.filter((c) => c === 'remote.tls_untrusted').length
    await waitFor('two refused attempts', refusals, (n) => n >= 2)
    const lastError = device.metrics().lastError
    assert.ok(lastError instanceof SdkError)
    // our check of the broker failed, not the broker's check of our certificate
    assert.equal(lastError.code, 'remote.tls_untrusted')
    assert.match(lastError.message, /not trusted.*--ca FILE/)
    assert.match(String((lastError.ctx as { cause?: unknown }).cause), /CERT|VERIFY|SIGNATURE/)
    assert.ok(!warnings.includes('remote.certificate_rejected'))
    const certFile = join(options.storeDir, options.deviceId, 'device.crt')
    const certificate = readFileSync(certFile, 'utf8')
    assert.ok(device.state === 'backoff' || device.state === 'connecting', device.state)
    await device.close()
    // close() disconnects first: the pending connect() ends as stopped by the application
    const stopped = (e: unknown): boolean =>
      e instanceof SdkError && ['local.closed', 'local.disconnected'].includes(e.code)
    await assert.rejects(connecting, stopped)
    // a broker we do not trust is no reason to renew our certificate
    assert.equal(readFileSync(certFile, 'utf8'), certificate)
  })

  test('wrong CN: the broker refuses a CA-signed certificate naming another identity', async () => {
    const names = [`${sandbox.realm}/${newDeviceId()}`, `otherrealm/${newDeviceId()}`, 'no-slash']
    for (const commonName of names) {
      const cert = await issueCertificate(ca, { commonName, lifetimeSec: 3600 })
      assertRejectedCertificate(await connectError(sandboxBroker(sandbox), cert))
    }
  })

  test("wrong CN on the device: another device's credentials in its store are replaced, not used", async () => {
    const other = deviceOptions(sandbox, join(tmp, 'cn-other'))
    const otherDevice = await Device.open(other)
    await otherDevice.connect({ signal: AbortSignal.timeout(20_000) })
    await otherDevice.close()
    const options = deviceOptions(sandbox, join(tmp, 'cn-mine'))
    const dir = join(options.storeDir, options.deviceId)
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    for (const file of ['device.crt', 'device.key']) {
      copyFileSync(join(other.storeDir, other.deviceId, file), join(dir, file))
    }
    const device = await Device.open(options)
    try {
      await device.connect({ signal: AbortSignal.timeout(20_000) })
      const used = new x509.X509Certificate(readFileSync(join(dir, 'device.crt'), 'utf8'))
      assert.equal(used.subjectName.getField('CN')[0], `${sandbox.realm}/${options.deviceId}`)
    } finally {
      await device.close()
    }
  })

  test('expired: refused by the broker; a device holding one renews at start and delivers its backlog', async () => {
    const options = deviceOptions(sandbox, join(tmp, 'expired'))
    const first = await Device.open(options)
    await first.connect({ signal: AbortSignal.timeout(20_000) })
    await first.disconnect()
    for (let n = 0; n < 20; n++) await first.send(RESILIENCE, '/expired/unique', n)
    await first.close()

    const dir = join(options.storeDir, options.deviceId)
    const privateKeyPem = readFileSync(join(dir, 'device.key'), 'utf8')
    const expired = await issueCertificate(ca, {
      commonName: `${sandbox.realm}/${options.deviceId}`,
      publicKey: await publicKeyOf(privateKeyPem),
      notBeforeMs: Date.now() - 7_200_000,
      lifetimeSec: 60,
    })
    const certificatePem = expired.certificatePem
    assertRefused(await connectError(sandboxBroker(sandbox), { certificatePem, privateKeyPem }))
    writeFileSync(join(dir, 'device.crt'), expired.certificatePem, { mode: 0o600 })

    const device = await Device.open(options)
    try {
      await device.connect({ signal: AbortSignal.timeout(20_000) })
      const renewed = new x509.X509Certificate(readFileSync(join(dir, 'device.crt'), 'utf8'))
      assert.ok(renewed.notAfter.getTime() > Date.now(), 'a valid certificate replaced the expired')
      const values = await waitFor(
        'the backlog',
        () => storedSequence(sandbox, options.deviceId, '/expired/unique'),
        (v) => v.length >= 20,
      )
      assert.deepEqual(
        values,
        Array.from({ length: 20 }, (_, n) => n),
      )
    } finally {
      await device.close()
    }
  })

  test('expired on Mosquitto (OpenSSL, TLS 1.2): the certificate alert is typed remote.certificate_rejected', async (t) => {
    const env = await startMosquittoEnv(t)
    const mosquittoCa = await sandboxCa(env.pairing)
    const broker = { host: env.broker.host, port: env.broker.port, caPem: env.pairing.caPem }
    const commonName = `${env.pairing.realm}/${newDeviceId()}`
    const valid = await issueCertificate(mosquittoCa, { commonName, lifetimeSec: 3600 })
    assert.equal(await connectError(broker, valid), undefined, 'the same identity, valid, connects')
    const expired = await issueCertificate(mosquittoCa, {
      commonName,
      notBeforeMs: Date.now() - 7_200_000,
      lifetimeSec: 60,
    })
    assertRejectedCertificate(await connectError(broker, expired))
  })

  test('revoked (superseded): the broker refuses it on reconnect; the device renews and recovers', async (t) => {
    const { host, port } = sandboxBroker(sandbox)
    const proxy = await startSlowProxy({ target: { host, port } })
    t.after(() => proxy.close())
    const options = deviceOptions(sandbox, join(tmp, 'revoked'))
    const transport = new ProxiedTransport(proxy)
    const device = await Device.open({ ...options, ports: { transport } })
    t.after(() => device.close())
    const warnings: unknown[] = []
    device.on('warning', (w) => warnings.push(w.ctx.code))
    await device.connect({ signal: AbortSignal.timeout(20_000) })
    const dir = join(options.storeDir, options.deviceId)
    const original = readFileSync(join(dir, 'device.crt'), 'utf8')

    // someone holding the secret obtains a new certificate: the device's one is superseded
    const secret = readFileSync(join(dir, 'credentials-secret'), 'utf8').trim()
    const cn = `${sandbox.realm}/${options.deviceId}`
    const { csrPem } = await nodeCryptoProvider.createKeyAndCsr('ec-p256', cn)
    const route = `${sandbox.pairingUrl}/v1/${sandbox.realm}/devices/${options.deviceId}`
    const res = await fetch(`${route}/protocols/astarte_mqtt_v1/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { csr: csrPem } }),
    })
    assert.equal(res.status, 201)
    const superseding = ((await res.json()) as { data: { client_crt: string } }).data.client_crt
    assertRejectedCertificate(
      await connectError(sandboxBroker(sandbox), {
        certificatePem: original,
        privateKeyPem: readFileSync(join(dir, 'device.key'), 'utf8'),
      }),
    )

    const sends: Array<Promise<void>> = []
    for (let n = 0; n < 20; n++) sends.push(device.send(RESILIENCE, '/revoked/unique', n))
    await Promise.all(sends)
    proxy.cutAll()
    await waitFor(
      'the refusal',
      () => warnings,
      (w) => w.includes('remote.certificate_rejected'),
    )
    await waitFor(
      'the device back online',
      () => device.state,
      (s) => s === 'online',
    )
    const renewed = readFileSync(join(dir, 'device.crt'), 'utf8')
    assert.notEqual(renewed, original)
    assert.notEqual(renewed, superseding)
    const values = await waitFor(
      'the data',
      () => storedSequence(sandbox, options.deviceId, '/revoked/unique'),
      (v) => v.length >= 20,
    )
    assert.deepEqual(sequenceReport(values, 20), { missing: [], repeated: [] })
  })
})
