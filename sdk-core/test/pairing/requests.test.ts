import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  SdkError,
  credentialsRequest,
  deviceInfoRequest,
  registerDeviceRequest,
  unregisterDeviceRequest,
  verifyCredentialsRequest,
} from '@astarte-ts/sdk-core'

// spec §4.4 test vector: a canonical 22-character device id
const deviceId = 'AJInS0w3VpWpuOqkXhgZdA'
const realm = 'test'
const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I='
const device = { realm, deviceId, credentialsSecret: secret }

for (const pairingUrl of ['https://api.example.com/pairing', 'https://api.example.com/pairing/']) {
  test(`register builds POST /v1/<realm>/agent/devices with the JWT (base ${pairingUrl})`, () => {
    const req = registerDeviceRequest({ pairingUrl, realm, jwt: 'J.W.T', deviceId })
    assert.deepEqual(req, {
      method: 'POST',
      url: 'https://api.example.com/pairing/v1/test/agent/devices',
      headers: {
        Accept: 'application/json',
        Authorization: 'Bearer J.W.T',
        'Content-Type': 'application/json',
      },
      body: '{"data":{"hw_id":"AJInS0w3VpWpuOqkXhgZdA"}}',
    })
  })
}

test('register carries the initial introspection when given (spec §4.3.1)', () => {
  const initialIntrospection = { 'org.example.Sensors': { major: 1, minor: 2 } }
  const req = registerDeviceRequest({
    pairingUrl: 'http://127.0.0.1:4000',
    realm,
    jwt: 'J',
    deviceId,
    initialIntrospection,
  })
  assert.deepEqual(JSON.parse(req.body ?? ''), {
    data: { hw_id: deviceId, initial_introspection: initialIntrospection },
  })
})

test('unregister builds DELETE /v1/<realm>/agent/devices/<id> without a body', () => {
  const req = unregisterDeviceRequest({ pairingUrl: 'https://p/', realm, jwt: 'J', deviceId })
  assert.deepEqual(req, {
    method: 'DELETE',
    url: `https://p/v1/test/agent/devices/${deviceId}`,
    headers: { Accept: 'application/json', Authorization: 'Bearer J' },
  })
})

test('device info builds GET /v1/<realm>/devices/<id> with the credentials secret', () => {
  const req = deviceInfoRequest({ pairingUrl: 'https://p//', ...device })
  assert.deepEqual(req, {
    method: 'GET',
    url: `https://p/v1/test/devices/${deviceId}`,
    headers: { Accept: 'application/json', Authorization: `Bearer ${secret}` },
  })
})

test('credentials builds POST …/protocols/astarte_mqtt_v1/credentials with {data:{csr}}', () => {
  const csrPem = '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'
  const req = credentialsRequest({ pairingUrl: 'https://p', ...device, csrPem })
  assert.equal(req.method, 'POST')
  assert.equal(
    req.url,
    `https://p/v1/test/devices/${deviceId}/protocols/astarte_mqtt_v1/credentials`,
  )
  assert.equal(req.headers['Authorization'], `Bearer ${secret}`)
  assert.equal(req.headers['Content-Type'], 'application/json')
  assert.deepEqual(JSON.parse(req.body ?? ''), { data: { csr: csrPem } })
})

test('verify builds POST …/credentials/verify with {data:{client_crt}}', () => {
  const certificatePem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
  const req = verifyCredentialsRequest({ pairingUrl: 'https://p', ...device, certificatePem })
  assert.equal(req.method, 'POST')
  assert.equal(
    req.url,
    `https://p/v1/test/devices/${deviceId}/protocols/astarte_mqtt_v1/credentials/verify`,
  )
  assert.deepEqual(JSON.parse(req.body ?? ''), { data: { client_crt: certificatePem } })
})

const invalidTargets: [string, Record<string, string>, string][] = [
  ['upper-case realm', { realm: 'Test' }, '/realm'],
  ['realm starting with a digit', { realm: '1test' }, '/realm'],
  ['49-character realm', { realm: `a${'b'.repeat(48)}` }, '/realm'],
  ['21-character id', { deviceId: deviceId.slice(1) }, '/deviceId'],
  ['standard-base64 id', { deviceId: 'AJInS0w3VpWpuOqkXhg+dA' }, '/deviceId'],
  ['non-canonical last character', { deviceId: 'AJInS0w3VpWpuOqkXhgZdB' }, '/deviceId'],
  ['relative pairing url', { pairingUrl: 'api.example.com/pairing' }, '/pairingUrl'],
]
for (const [name, override, path] of invalidTargets) {
  test(`builders refuse a ${name} with local.pairing_config, secrets not echoed`, () => {
    const params = { pairingUrl: 'https://p', ...device, csrPem: 'CSR', ...override }
    for (const build of [deviceInfoRequest, credentialsRequest]) {
      assert.throws(
        () => build(params),
        (e: unknown) =>
          e instanceof SdkError &&
          e.code === 'local.pairing_config' &&
          e.issues.some((i) => i.path === path) &&
          !JSON.stringify({ m: e.message, c: e.ctx, i: e.issues }).includes(secret),
      )
    }
  })
}

test('the longest legal realm (48 characters) is accepted', () => {
  const long = `a${'0'.repeat(47)}`
  const req = deviceInfoRequest({ pairingUrl: 'https://p', ...device, realm: long })
  assert.equal(req.url, `https://p/v1/${long}/devices/${deviceId}`)
})
