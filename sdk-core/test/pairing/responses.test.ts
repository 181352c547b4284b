import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HttpResponse, Result, SdkError } from '@astarte-ts/sdk-core'
import {
  parseBrokerUrl,
  parseCredentialsResponse,
  parseDeviceInfoResponse,
  parsePairingTimestamp,
  parseRegisterDeviceResponse,
  parseUnregisterDeviceResponse,
  parseVerifyResponse,
} from '@astarte-ts/sdk-core'

const res = (status: number, body: unknown): HttpResponse => ({
  status,
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const detail = (text: string) => ({ errors: { detail: text } })
const fieldErrors = (field: string, ...messages: string[]) => ({ errors: { [field]: messages } })

function expectError(
  result: Result<unknown, SdkError>,
  code: string,
  ctx: Record<string, unknown>,
): SdkError {
  assert.equal(result.ok, false, JSON.stringify(result))
  if (result.ok) throw new Error('unreachable')
  assert.equal(result.error.code, code)
  for (const [k, v] of Object.entries(ctx)) assert.deepEqual(result.error.ctx[k], v, k)
  assert.match(result.error.message, /^couldn't /)
  return result.error
}

// spec §4.3.1 and §4.1: every error body of agent registration
const registerErrors: [number, unknown, string, Record<string, unknown>][] = [
  [422, detail('Device already registered'), 'remote.device_already_registered', {}],
  [401, detail('Missing authorization token'), 'remote.pairing_unauthorized', {}],
  [401, detail('Invalid JWT token'), 'remote.pairing_unauthorized', {}],
  [
    403,
    detail('Unauthorized access to POST /v1/test/agent/devices. Please verify your permissions'),
    'remote.pairing_forbidden',
    {},
  ],
  [403, detail('Forbidden'), 'remote.pairing_forbidden', {}],
  [400, 'Bad Request', 'remote.pairing_unexpected', {}],
  [503, detail('Service Unavailable'), 'remote.pairing_unexpected', {}],
  [500, '', 'remote.pairing_unexpected', {}],
]
for (const [status, body, code, ctx] of registerErrors) {
  test(`register ${status} ${JSON.stringify(body)} → ${code}`, () => {
    const expectedDetail = (body as { errors?: { detail?: string } }).errors?.detail
    const withDetail = expectedDetail === undefined ? ctx : { ...ctx, detail: expectedDetail }
    expectError(parseRegisterDeviceResponse(res(status, body)), code, {
      ...withDetail,
      status,
      route: 'register',
    })
  })
}

const validationCases: [string, string, string[]][] = [
  ['register', 'hw_id', ["can't be blank"]],
  ['register', 'hw_id', ['is not a valid base64 encoded 128 bits id']],
  ['register', 'initial_introspection', ['has invalid format for interface org.example.A']],
  ['register', 'initial_introspection', ['has negative versions in interface org.example.A']],
  ['credentials', 'csr', ['is not a valid PEM CSR']],
  ['credentials', 'csr', ["can't be blank"]],
  ['verify', 'client_crt', ["can't be blank"]],
]
const parsers = {
  register: parseRegisterDeviceResponse,
  credentials: parseCredentialsResponse,
  verify: parseVerifyResponse,
} as const
for (const [route, field, messages] of validationCases) {
  test(`${route} 422 ${field} ${messages.join()} → remote.pairing_validation with fields`, () => {
    const parse = parsers[route as keyof typeof parsers]
    const r = parse(res(422, fieldErrors(field, ...messages)))
    const ctx = { status: 422, route, fields: { [field]: messages } }
    const e = expectError(r, 'remote.pairing_validation', ctx)
    assert.ok(e.message.includes(field))
    assert.deepEqual(
      e.issues,
      messages.map((message) => ({ code: 'pairing_validation', path: `/data/${field}`, message })),
    )
  })
}

test('register 201 gives the credentials secret', () => {
  const credentialsSecret = 'q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA='
  const body = { data: { credentials_secret: credentialsSecret } }
  assert.deepEqual(parseRegisterDeviceResponse(res(201, body)), {
    ok: true,
    value: { credentialsSecret },
  })
})

test('register 201 without a secret is a malformed response', () => {
  for (const body of [{ data: {} }, 'not json', { credentials_secret: 'x' }]) {
    const r = parseRegisterDeviceResponse(res(201, body))
    expectError(r, 'remote.pairing_malformed_response', { status: 201 })
  }
})

test('unregister 204 with an empty body succeeds; 404 Device not found', () => {
  assert.deepEqual(parseUnregisterDeviceResponse(res(204, '')), { ok: true, value: null })
  const r = parseUnregisterDeviceResponse(res(404, detail('Device not found')))
  expectError(r, 'remote.pairing_not_found', { detail: 'Device not found', route: 'unregister' })
})

const info = (status: string, brokerUrl: string) => ({
  data: { version: '1.2.0', status, protocols: { astarte_mqtt_v1: { broker_url: brokerUrl } } },
})
for (const status of ['pending', 'confirmed', 'inhibited'] as const) {
  test(`device info 200 status ${status} gives version, status and broker address`, () => {
    const r = parseDeviceInfoResponse(res(200, info(status, 'mqtts://broker.example.com:8883/')))
    assert.deepEqual(r, {
      ok: true,
      value: { version: '1.2.0', status, brokerUrl: { host: 'broker.example.com', port: 8883 } },
    })
  })
}

const deviceInfoErrors: [number, unknown, string][] = [
  [404, detail('Device not found'), 'remote.pairing_not_found'],
  [403, detail('Forbidden'), 'remote.pairing_forbidden'],
  [401, detail('Unauthorized'), 'remote.pairing_unauthorized'],
  [200, info('pending', 'mqtts://broker.example.com/'), 'remote.pairing_broker_url'],
  [200, info('unknown', 'mqtts://broker.example.com:8883'), 'remote.pairing_malformed_response'],
  [
    200,
    { data: { version: '1', status: 'pending', protocols: {} } },
    'remote.pairing_malformed_response',
  ],
]
for (const [status, body, code] of deviceInfoErrors) {
  test(`device info ${status} ${JSON.stringify(body)} → ${code}`, () => {
    expectError(parseDeviceInfoResponse(res(status, body)), code, {})
  })
}

const brokerUrls: [string, { host: string; port: number } | undefined][] = [
  ['mqtts://broker.example.com:8883/', { host: 'broker.example.com', port: 8883 }],
  ['mqtts://broker.example.com:8883', { host: 'broker.example.com', port: 8883 }],
  ['ssl://10.0.0.1:1883', { host: '10.0.0.1', port: 1883 }],
  ['mqtt://localhost:41234/x?y', { host: 'localhost', port: 41234 }],
  ['mqtts://[::1]:8883/', { host: '::1', port: 8883 }],
  ['mqtts://broker.example.com/', undefined],
  ['mqtts://broker.example.com:/', undefined],
  ['mqtts://broker.example.com:70000/', undefined],
  ['broker.example.com:8883', undefined],
  ['', undefined],
]
for (const [url, expected] of brokerUrls) {
  test(`parseBrokerUrl(${JSON.stringify(url)}) treats any scheme as TLS`, () => {
    const r = parseBrokerUrl(url)
    if (expected === undefined) expectError(r, 'remote.pairing_broker_url', {})
    else assert.deepEqual(r, { ok: true, value: expected })
  })
}

test('credentials 201 gives the certificate PEM', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
  const r = parseCredentialsResponse(res(201, { data: { client_crt: pem } }))
  assert.deepEqual(r, { ok: true, value: pem })
  expectError(parseCredentialsResponse(res(403, detail('Forbidden'))), 'remote.pairing_forbidden', {
    route: 'credentials',
  })
})

// spec §4.3.5 example: timestamps with a space; the oracle is Date.parse of the ISO form
const stamp = '2025-03-25 19:25:00.000Z'
const until = '2025-06-24 19:25:00.123Z'
const iso = (s: string) => Date.parse(s.replace(' ', 'T'))

test('verify 200 valid gives until and timestamp as epoch ms', () => {
  const r = parseVerifyResponse(res(200, { data: { valid: true, timestamp: stamp, until } }))
  assert.deepEqual(r, {
    ok: true,
    value: { valid: true, timestampMs: iso(stamp), untilMs: iso(until) },
  })
})

for (const cause of [
  'EXPIRED',
  'INVALID_ISSUER',
  'INVALID_SIGNATURE',
  'NAME_NOT_PERMITTED',
  'MISSING_BASIC_CONSTRAINT',
  'INVALID_KEY_USAGE',
  'REVOKED',
  'INVALID',
]) {
  test(`verify 200 invalid with cause ${cause}`, () => {
    const body = { data: { valid: false, timestamp: stamp, cause, details: null } }
    assert.deepEqual(parseVerifyResponse(res(200, body)), {
      ok: true,
      value: { valid: false, timestampMs: iso(stamp), cause },
    })
  })
}

test('verify reads only `valid` strictly: odd timestamps are dropped, not fatal', () => {
  const body = { data: { valid: true, timestamp: 1742930700000, until: 'soon' } }
  assert.deepEqual(parseVerifyResponse(res(200, body)), { ok: true, value: { valid: true } })
  const r = parseVerifyResponse(res(200, { data: { valid: 'yes' } }))
  expectError(r, 'remote.pairing_malformed_response', {})
})

const timestamps: [string, string | undefined][] = [
  ['2025-03-25 19:25:00.000Z', '2025-03-25T19:25:00.000Z'],
  ['2025-03-25T19:25:00Z', '2025-03-25T19:25:00.000Z'],
  ['2025-03-25 19:25:00.1Z', '2025-03-25T19:25:00.100Z'],
  ['2025-03-25 19:25:00.123456Z', '2025-03-25T19:25:00.123Z'],
  ['2025-03-25 19:25:00', '2025-03-25T19:25:00.000Z'],
  ['2025-03-25 21:25:00.000+02:00', '2025-03-25T19:25:00.000Z'],
  ['2025-03-25 19:25Z', '2025-03-25T19:25:00.000Z'],
  ['2025-02-30 19:25:00.000Z', undefined],
  ['2025-03-25 24:00:00.000Z', undefined],
  ['yesterday', undefined],
]
for (const [text, expected] of timestamps) {
  test(`parsePairingTimestamp(${JSON.stringify(text)})`, () => {
    const oracle = expected === undefined ? undefined : Date.parse(expected)
    assert.equal(parsePairingTimestamp(text), oracle)
  })
}

// spec §4.1: the message names the HTTP status and, as far as the answer tells, the likely cause
const causes: [number, unknown, (r: HttpResponse) => Result<unknown, SdkError>, RegExp][] = [
  [
    403,
    detail('Forbidden'),
    parseRegisterDeviceResponse,
    /http 403 Forbidden; the realm is unknown/,
  ],
  [
    403,
    detail('Unauthorized access to POST /v1/test/agent/devices. Please verify your permissions'),
    parseRegisterDeviceResponse,
    /http 403 Unauthorized access .*; the pairing JWT has no a_pa claim/,
  ],
  [401, detail('Invalid JWT token'), parseRegisterDeviceResponse, /http 401 .*pairing JWT/],
  [403, detail('Forbidden'), parseDeviceInfoResponse, /http 403 .*credentials secret is wrong/],
  [404, detail('Device not found'), parseDeviceInfoResponse, /http 404 .*not registered/],
  [404, detail('Not found'), parseRegisterDeviceResponse, /http 404 .*check the pairing url/],
  [503, '', parseRegisterDeviceResponse, /^couldn't complete pairing register: http 503$/],
]
for (const [status, body, parse, message] of causes) {
  test(`${status} ${JSON.stringify(body)}: the message says ${message}`, () => {
    const r = parse(res(status, body))
    assert.ok(!r.ok)
    assert.match(r.error.message, message)
  })
}
