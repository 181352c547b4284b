/**
 * Failed TLS handshakes as the real Espruino reports them, in Duktape against the sandbox's RSA
 * PKI with the host's TLS limited as Espruino 2v29's mbedTLS: the connect callback when TCP
 * connects, then no `error` event but `close` and an `InternalError` thrown from the event loop
 * ("mbedtls_ssl_handshake returned -0x7780"). The device tells the broker refusing its
 * certificate (a fatal alert: renewal) from not trusting the broker's (-0x2700: a connect
 * failure, retried), without the engine reporting an uncaught error, and without taking the
 * application's own uncaught errors.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type AddressInfo } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { silentLogger, startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { assertApplicationErrorsUntouched } from './engine/application-errors.js'
import { ESPRUINO_2V29_TLS } from './engine/duk-engine.js'
import {
  eventually,
  openDeviceCode,
  startEspruinoEnv,
  type EspruinoEnv,
} from './engine/espruino-env.js'

/** Another realm's Pairing and CA (no broker): certificates and a CA the sandbox doesn't trust. */
let foreign: Sandbox

/** A certificate for `deviceId`'s CSR from the foreign CA: same key and CN, another issuer. */
async function foreignCertificate(deviceId: string, csrPem: string): Promise<string> {
  const base = `${foreign.pairingUrl}/v1/${foreign.realm}`
  const headers = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  })
  const registered = await fetch(`${base}/agent/devices`, {
    method: 'POST',
    headers: headers(foreign.jwt),
    body: JSON.stringify({ data: { hw_id: deviceId } }),
  })
  assert.equal(registered.status, 201)
  const { data } = (await registered.json()) as { data: { credentials_secret: string } }
  const issued = await fetch(`${base}/devices/${deviceId}/protocols/astarte_mqtt_v1/credentials`, {
    method: 'POST',
    headers: headers(data.credentials_secret),
    body: JSON.stringify({ data: { csr: csrPem } }),
  })
  assert.equal(issued.status, 201)
  return ((await issued.json()) as { data: { client_crt: string } }).data.client_crt
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

interface Mosquitto {
  stop(): Promise<void>
}

/**
 * Mosquitto on `port` with a server certificate from the sandbox's CA, trusting only that CA
 * for clients, the certificate's CN as the identity (Astarte's rules, spec §3.1).
 */
async function startMosquitto(sandbox: Sandbox, port: number): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'astarte-espruino-mosquitto-'))
  const server = await sandbox.issueServerCertificate(['127.0.0.1'])
  await writeFile(join(dir, 'ca.crt'), sandbox.caPem)
  await writeFile(join(dir, 'server.crt'), server.certPem)
  await writeFile(join(dir, 'server.key'), server.keyPem, { mode: 0o600 })
  const conf = [
    `user ${userInfo().username}`,
    'persistence false',
    'allow_anonymous false',
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    `listener ${port} 127.0.0.1`,
    `cafile ${join(dir, 'ca.crt')}`,
    `certfile ${join(dir, 'server.crt')}`,
    `keyfile ${join(dir, 'server.key')}`,
    'require_certificate true',
    'use_identity_as_username true',
    'tls_version tlsv1.2',
    '',
  ]
  await writeFile(join(dir, 'mosquitto.conf'), conf.join('\n'))
  const child = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await eventually(
    'mosquitto listening',
    () =>
      new Promise<boolean>((resolve) => {
        const probe = connect(port, '127.0.0.1')
        probe.once('connect', () => resolve(probe.destroy() !== undefined))
        probe.once('error', () => resolve(false))
      }),
    (up) => up,
    10_000,
  )
  return {
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Engine code replacing one field of the stored credentials. */
const storeField = (field: string, value: string): string =>
  `var c = require('Storage').readJSON('astarte.json', true); c.${field} = ${JSON.stringify(value)};` +
  ` require('Storage').writeJSON('astarte.json', c); 0`

before(async () => {
  // the same realm name: only the issuer differs
  foreign = await startSandbox({
    logger: silentLogger,
    pki: 'rsa',
    broker: false,
    brokerUrl: 'mqtts://127.0.0.1:1/',
  })
})

after(async () => {
  await foreign?.stop()
})

describe('the broker refuses the client certificate', { timeout: 180_000 }, () => {
  let env: EspruinoEnv
  let mosquitto: Mosquitto | undefined
  const issued: string[] = []

  before(async () => {
    // Mosquitto refuses a certificate with a fatal TLS alert, as Astarte's VerneMQ does; the
    // sandbox's own broker (node:tls) can only close the connection (its README)
    const port = await freePort()
    env = await startEspruinoEnv({
      pki: 'rsa',
      keyAlgorithm: 'rsa-2048',
      tls: ESPRUINO_2V29_TLS,
      brokerUrl: `mqtts://127.0.0.1:${port}/`,
      beforeProvisioning: async (sandbox) => {
        mosquitto = await startMosquitto(sandbox, port)
      },
      logger: {
        log: (_level, message, ctx) => {
          if (message === 'certificate issued') issued.push(String(ctx?.['deviceId']))
        },
      },
    })
  })

  after(async () => {
    await env?.stop()
    await mosquitto?.stop()
  })

  test('a fatal alert from the broker: remote.certificate_rejected, renewal, then online', async () => {
    const { engine, deviceId, provisioned } = env
    // a first connection: the device knows its broker and connects to it at once on a restart,
    // before asking Pairing anything (which would renew an invalid certificate beforehand)
    await engine.call('device.connect()')
    // a restart: this device disconnects, a second one opens from the same Storage
    await engine.call('device.disconnect()')
    // a certificate of the factory key the broker's CA never signed (as after a CA change)
    const stranger = await foreignCertificate(deviceId, provisioned.csrPem)
    await engine.call(storeField('certificatePem', stranger))
    await engine.call(openDeviceCode(env.tables))
    await engine.call('device.connect()')
    await eventually(
      'the device online',
      () => engine.call('device.state'),
      (s) => s === 'online',
    )
    const warnings = (await engine.call('warnings')) as string[]
    assert.equal(warnings[0], 'remote.certificate_rejected', engine.diagnostics())
    assert.equal(issued.filter((d) => d === deviceId).length, 2, 'factory and renewal')
    const stored = (await engine.call('require("Storage").readJSON("astarte.json")')) as {
      certificatePem: string
    }
    assert.notEqual(stored.certificatePem, stranger)
    assert.notEqual(stored.certificatePem, provisioned.certificatePem)
    // the InternalError the engine threw was the device's: nothing reached the console
    assert.deepEqual(engine.uncaught, [], engine.diagnostics())
    assert.deepEqual(engine.stray, [], engine.diagnostics())
  })
})

describe("the broker's certificate is not trusted", { timeout: 180_000 }, () => {
  let env: EspruinoEnv

  before(async () => {
    // Espruino 2v29 never verifies the broker (network.c: MBEDTLS_SSL_VERIFY_NONE); this models
    // a build that does, where mbedTLS fails the handshake with -0x2700
    env = await startEspruinoEnv({
      pki: 'rsa',
      keyAlgorithm: 'rsa-2048',
      tls: { ...ESPRUINO_2V29_TLS, verifyBroker: true },
      open: false,
    })
  })

  after(async () => {
    await env?.stop()
  })

  test('-0x2700: remote.tls_untrusted, no renewal, no crash, retried', async () => {
    const { engine } = env
    await engine.call(storeField('caPem', foreign.caPem))
    await engine.call(openDeviceCode(env.tables))
    void engine.call('device.connect()', 180_000).catch(() => undefined)
    const warnings = (await eventually(
      'two attempts',
      () => engine.call('warnings') as Promise<string[]>,
      (w) => w.length >= 2,
    )) as string[]
    assert.deepEqual([...new Set(warnings)], ['remote.tls_untrusted'], engine.diagnostics())
    assert.deepEqual(engine.uncaught, [], engine.diagnostics())
    assert.notEqual(await engine.call('device.state'), 'online')
  })

  test("the application's own uncaught errors still reach the console and its listener", async () => {
    // the device's listener is on `process` by now (added at the first failed handshake)
    await assertApplicationErrorsUntouched(env.engine)
  })
})
