/**
 * Pairing API and TLS conformance on the wire (spec §3.1, §4): a real `Device` against a strict,
 * recording Pairing API and broker. Asserts routes, methods, headers and `data` envelopes, the
 * CSR's subject and key, the verify-before-renew flow for stored credentials, the reaction to
 * every error class (401/403/404 terminal, 5xx retried, 422 on the CSR answered with a new key),
 * and that the broker named by `broker_url` is reached with SNI and a verified host name.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { SdkError } from '@astarte-ts/sdk-core'
import { x509 } from '../../src/crypto/x509.js'
import { INTERFACES, REALM, startConformanceEnv } from './conformance-env.js'
import type { ConformanceEnv, EnvOptions } from './conformance-env.js'
import type { RecordedRequest } from './strict-pairing.js'

let env: ConformanceEnv | undefined
afterEach(async () => {
  await env?.stop()
  env = undefined
})

async function start(options: EnvOptions = {}): Promise<ConformanceEnv> {
  env = await startConformanceEnv(options)
  return env
}

const route = (e: ConformanceEnv, suffix = ''): string =>
  `/pairing/v1/${REALM}/devices/${e.deviceId}${suffix}`
const CREDENTIALS = '/protocols/astarte_mqtt_v1/credentials'
const summary = (requests: readonly RecordedRequest[]): string[] =>
  requests.map((r) => `${r.method} ${r.url}`)

/** A store dir whose device paired and synced once (credentials on disk), then closed. */
async function pairedStore(e: ConformanceEnv): Promise<string> {
  const storeDir = await e.storeDir()
  const first = await e.open({ storeDir })
  await first.connect()
  await first.close()
  return storeDir
}

test('first boot: GET device info, then POST credentials with {data:{csr}}; Bearer secret, JSON headers (§4.1–4.3.4)', async () => {
  const e = await start()
  const device = await e.open()
  await device.connect()
  assert.deepEqual(summary(e.pairing.requests), [
    `GET ${route(e)}`,
    `POST ${route(e, CREDENTIALS)}`,
  ])
  const [info, credentials] = e.pairing.requests as [RecordedRequest, RecordedRequest]
  for (const r of e.pairing.requests) assert.equal(r.headers.authorization, `Bearer ${e.secret}`)
  assert.equal(info.body, '')
  assert.equal(info.headers['content-type'], undefined)
  assert.match(credentials.headers['content-type'] ?? '', /^application\/json/)
  const body = JSON.parse(credentials.body) as { data: { csr: string } }
  assert.deepEqual(Object.keys(body), ['data'])
  assert.deepEqual(Object.keys(body.data), ['csr'])
  // spec §4.5: P-256 key, ecdsa-with-SHA256, CN = <realm>/<device_id>
  const csr = new x509.Pkcs10CertificateRequest(body.data.csr)
  assert.deepEqual(csr.subjectName.getField('CN'), [`${REALM}/${e.deviceId}`])
  assert.equal((csr.publicKey.algorithm as { namedCurve?: string }).namedCurve, 'P-256')
  assert.equal((csr.signatureAlgorithm as { hash?: { name: string } }).hash?.name, 'SHA-256')
})

test('first boot with an agent JWT: POST agent/devices {data:{hw_id, initial_introspection}}, then the returned secret (§4.3.1)', async () => {
  const e = await start()
  const device = await e.open({ credentialsSecret: undefined, pairingJwt: e.jwt })
  await device.connect()
  const [register, ...rest] = e.pairing.requests as [RecordedRequest, ...RecordedRequest[]]
  assert.equal(`${register.method} ${register.url}`, `POST /pairing/v1/${REALM}/agent/devices`)
  assert.equal(register.headers.authorization, `Bearer ${e.jwt}`)
  assert.match(register.headers['content-type'] ?? '', /^application\/json/)
  assert.deepEqual(JSON.parse(register.body), {
    data: {
      hw_id: e.deviceId,
      initial_introspection: Object.fromEntries(
        INTERFACES.map((i) => [
          i.interface_name,
          { major: i.version_major, minor: i.version_minor },
        ]),
      ),
    },
  })
  for (const r of rest) assert.equal(r.headers.authorization, `Bearer ${e.secret}`)
  assert.equal(rest.length, 2)
})

test('stored credentials: verify with {data:{client_crt}}, no new certificate while valid (§4.3.5, §4.5)', async () => {
  const e = await start()
  const storeDir = await pairedStore(e)
  const second = await e.open({ storeDir })
  await second.connect()
  // Pairing checks the stored certificate once the early connect attempt is over
  await e.broker.until('device info and verify', () => e.pairing.requests.length >= 4)
  assert.deepEqual(summary(e.pairing.requests.slice(2)), [
    `GET ${route(e)}`,
    `POST ${route(e, `${CREDENTIALS}/verify`)}`,
  ])
  const verify = e.pairing.requests[3] as RecordedRequest
  assert.deepEqual(JSON.parse(verify.body), { data: { client_crt: e.pairing.issued[0] } })
  assert.equal(e.pairing.issued.length, 1)
})

test('verify says invalid: one new credentials request with a new key, then a reconnect with it (§4.5)', async () => {
  const e = await start()
  const storeDir = await pairedStore(e)
  e.pairing.override = (r) =>
    r.url.endsWith('/verify')
      ? {
          status: 200,
          body: {
            data: {
              valid: false,
              timestamp: '2026-01-01 00:00:00.000Z',
              cause: 'REVOKED',
              details: null,
            },
          },
        }
      : undefined
  const second = await e.open({ storeDir })
  // the stored certificate connects while Pairing verifies it; the renewal reconnects. The
  // certificate file at each connection: the renewed one is on disk before its connection starts.
  const certificateAtConnect: string[] = []
  second.on('connected', () =>
    certificateAtConnect.push(readFileSync(join(storeDir, e.deviceId, 'device.crt'), 'utf8')),
  )
  await second.connect()
  await e.broker.until(
    'a connection with the renewed certificate',
    () =>
      e.pairing.issued.length === 2 &&
      certificateAtConnect.at(-1) === e.pairing.issued[1] &&
      second.state === 'online',
  )
  assert.equal(e.pairing.issued.length, 2)
  const csrs = e.pairing.requests
    .filter((r) => r.url === route(e, CREDENTIALS))
    .map(
      (r) =>
        new x509.Pkcs10CertificateRequest(
          (JSON.parse(r.body) as { data: { csr: string } }).data.csr,
        ),
    )
  assert.notEqual(csrs[0]?.publicKey.rawData.byteLength, 0)
  assert.ok(
    !Buffer.from(csrs[0]!.publicKey.rawData).equals(Buffer.from(csrs[1]!.publicKey.rawData)),
  )
  assert.equal(e.broker.tls.at(-1)?.clientCn, `${REALM}/${e.deviceId}`)
})

for (const [status, code] of [
  [401, 'remote.pairing_unauthorized'],
  [403, 'remote.pairing_forbidden'],
  [404, 'remote.pairing_not_found'],
] as const) {
  test(`device info ${status}: terminal ${code}, no retry, no broker connection (§4.1, §4.3.3)`, async () => {
    const e = await start()
    e.pairing.override = () => ({ status, body: { errors: { detail: 'Forbidden' } } })
    const device = await e.open()
    await assert.rejects(device.connect(), (x: unknown) => x instanceof SdkError && x.code === code)
    assert.equal(e.pairing.requests.length, 1)
    assert.equal(e.broker.received.length, 0)
  })
}

test('5xx from Pairing is retried with backoff until it answers (§4.2: unexpected non-2xx)', async () => {
  const e = await start()
  let failures = 2
  e.pairing.override = () =>
    failures-- > 0
      ? { status: 503, body: { errors: { detail: 'Service Unavailable' } } }
      : undefined
  const device = await e.open()
  await device.connect()
  assert.deepEqual(summary(e.pairing.requests).slice(0, 3), [
    `GET ${route(e)}`,
    `GET ${route(e)}`,
    `GET ${route(e)}`,
  ])
})

test('422 on the CSR: a new key and CSR, never the same CSR again (§4.3.4)', async () => {
  const e = await start()
  let refusals = 1
  e.pairing.override = (r) =>
    r.url === route(e, CREDENTIALS) && refusals-- > 0
      ? { status: 422, body: { errors: { csr: ['is not a valid PEM CSR'] } } }
      : undefined
  const device = await e.open()
  await device.connect()
  const csrs = e.pairing.requests
    .filter((r) => r.url === route(e, CREDENTIALS))
    .map((r) => (JSON.parse(r.body) as { data: { csr: string } }).data.csr)
  assert.equal(csrs.length, 2)
  assert.notEqual(csrs[0], csrs[1])
})

test('broker_url with an IP literal and no trailing slash: connects, no SNI (§3.1, RFC 6066)', async () => {
  const e = await start({ brokerUrl: (port) => `mqtts://127.0.0.1:${port}` })
  const device = await e.open()
  await device.connect()
  assert.equal(e.broker.tls[0]?.servername, false)
})

test('broker certificate for another host name: no MQTT session is opened (§3.1 server certificate validated)', async () => {
  const e = await start({ brokerNames: ['broker.elsewhere.example'] })
  const device = await e.open()
  const warned = new Promise((resolve) => device.once('warning', resolve))
  void device.connect().catch(() => undefined)
  await warned
  await device.close()
  assert.equal(e.broker.received.length, 0)
})

test('keepalive: PINGREQ while idle at the configured interval (§3.4)', async () => {
  const e = await start()
  const device = await e.open({ keepaliveSec: 1 })
  await device.connect()
  assert.equal(e.packets('connect')[0]?.['keepalive'], 1)
  await e.broker.until('a PINGREQ', () => e.packets('pingreq').length > 0)
})
