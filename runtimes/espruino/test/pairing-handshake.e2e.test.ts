/**
 * Pairing over `https:` whose TLS handshake fails, as the real Espruino reports it (an `error`
 * "unsent data" on the request, `close`, then an `InternalError` thrown from the event loop): in
 * Duktape, with the host's TLS limited as Espruino 2v29's mbedTLS (and verifying, as a build
 * that would). The device reports a typed pairing failure whose cause is the HTTP port's code,
 * retries, and the engine prints no uncaught error; the application's own errors are untouched.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
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

/** Engine code replacing one field of the stored credentials. */
const storeField = (field: string, value: string): string =>
  `var c = require('Storage').readJSON('astarte.json', true); c.${field} = ${JSON.stringify(value)};` +
  ` require('Storage').writeJSON('astarte.json', c); 0`

/** An HTTPS "Pairing API" on 127.0.0.1 that never gets a request through: its handshake fails. */
async function startHttps(options: {
  certPem: string
  keyPem: string
  requestCert?: boolean
}): Promise<{ url: string; server: Server }> {
  const server = createServer(
    {
      cert: options.certPem,
      key: options.keyPem,
      // a client certificate required: the device sends none, the server aborts with an alert
      ...(options.requestCert === true ? { requestCert: true, rejectUnauthorized: true } : {}),
    },
    (_req, res) => res.writeHead(500).end(),
  )
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return { url: `https://127.0.0.1:${port}/pairing`, server }
}

/** The device's last error and its cause's code, read in the engine. */
const LAST_ERROR =
  `(function () { var e = device.driver.metrics().lastError;` +
  ` return e === undefined ? [] : [e.code, e.cause && e.cause.code, e.cause && e.cause.ctx && e.cause.ctx.reason] })()`

let foreign: Sandbox
let env: EspruinoEnv
const servers: Server[] = []

before(async () => {
  // another CA (no broker): a Pairing server certificate the device's trust anchor didn't sign
  foreign = await startSandbox({
    logger: silentLogger,
    pki: 'rsa',
    broker: false,
    brokerUrl: 'mqtts://127.0.0.1:1/',
  })
  env = await startEspruinoEnv({
    pki: 'rsa',
    keyAlgorithm: 'rsa-2048',
    // 2v29 never verifies (network.c); this models a build that does (-0x2700)
    tls: { ...ESPRUINO_2V29_TLS, verifyBroker: true },
    open: false,
  })
})

after(async () => {
  for (const s of servers) s.close()
  await env?.stop()
  await foreign?.stop()
})

/** Points the device's Pairing at `url`, opens it and connects (never completes). */
async function pairAgainst(url: string): Promise<void> {
  const { engine } = env
  await engine.call('typeof device === "undefined" ? 0 : device.close()')
  await engine.call(storeField('pairingUrl', url))
  await engine.call(openDeviceCode(env.tables))
  void engine.call('device.connect()', 180_000).catch(() => undefined)
}

describe('pairing over https whose handshake fails', { timeout: 180_000 }, () => {
  test('an untrusted server (-0x2700): remote.tls_untrusted, retried, nothing uncaught', async () => {
    const { engine } = env
    const https = await startHttps(await foreign.issueServerCertificate(['127.0.0.1']))
    servers.push(https.server)
    await pairAgainst(https.url)
    const warnings = (await eventually(
      'two attempts',
      () => engine.call('warnings') as Promise<string[]>,
      (w) => w.length >= 2,
    )) as string[]
    assert.deepEqual([...new Set(warnings)], ['remote.pairing_unreachable'], engine.diagnostics())
    const [code, cause, message] = (await engine.call(LAST_ERROR)) as string[]
    assert.equal(code, 'remote.pairing_unreachable')
    assert.equal(cause, 'remote.tls_untrusted')
    assert.match(String(message), /-0x2700/)
    assert.notEqual(await engine.call('device.state'), 'online')
    assert.deepEqual(engine.uncaught, [], engine.diagnostics())
    assert.deepEqual(engine.stray, [], engine.diagnostics())
  })

  test('a server that aborts the handshake (-0x7780): remote.http_failed, never a renewal code', async () => {
    const { engine, sandbox } = env
    const https = await startHttps({
      ...(await sandbox.issueServerCertificate(['127.0.0.1'])),
      requestCert: true,
    })
    servers.push(https.server)
    await pairAgainst(https.url)
    const warnings = (await eventually(
      'two attempts',
      () => engine.call('warnings') as Promise<string[]>,
      (w) => w.length >= 2,
    )) as string[]
    assert.deepEqual([...new Set(warnings)], ['remote.pairing_unreachable'], engine.diagnostics())
    const [code, cause, message] = (await engine.call(LAST_ERROR)) as string[]
    assert.equal(code, 'remote.pairing_unreachable')
    assert.equal(cause, 'remote.http_failed')
    assert.match(String(message), /-0x7780/)
    assert.deepEqual(engine.uncaught, [], engine.diagnostics())
  })

  test("the application's own uncaught errors still reach the console and its listener", async () => {
    await assertApplicationErrorsUntouched(env.engine)
  })
})
