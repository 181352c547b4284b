import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { HttpResponse, Result } from '@astarte-ts/sdk-core'
import {
  SdkError,
  parseBrokerUrl,
  parseCredentialsResponse,
  parseDeviceInfoResponse,
  parsePairingTimestamp,
  parseRegisterDeviceResponse,
  parseUnregisterDeviceResponse,
  parseVerifyResponse,
} from '@astarte-ts/sdk-core'

const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 10000)
const parsers: [string, (res: HttpResponse) => Result<unknown, SdkError>][] = [
  ['register', parseRegisterDeviceResponse],
  ['unregister', parseUnregisterDeviceResponse],
  ['deviceInfo', parseDeviceInfoResponse],
  ['credentials', parseCredentialsResponse],
  ['verify', parseVerifyResponse],
]
const keys = fc.constantFrom(
  'data',
  'errors',
  'detail',
  'credentials_secret',
  'version',
  'status',
  'protocols',
  'astarte_mqtt_v1',
  'broker_url',
  'client_crt',
  'valid',
  'timestamp',
  'until',
  'cause',
  'hw_id',
)
// bodies shaped like Pairing envelopes, so the fuzzer reaches the deep branches too
const envelope = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('pending', 'inhibited', 'mqtts://h:8883/', '2025-03-25 19:25:00.000Z'),
    fc.dictionary(keys, tie('value'), { maxKeys: 4 }),
  ),
}))
const body = fc.oneof(
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  envelope.value.map((v) => JSON.stringify(v)),
)
const status = fc.oneof(
  fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 422, 500, 503),
  fc.integer(),
)

for (const [name, parse] of parsers) {
  test(`${name}: any status and body gives ok or a remote.* SdkError, never a throw`, () => {
    fc.assert(
      fc.property(status, body, (s, b) => {
        const r = parse({ status: s, body: b })
        if (r.ok) assert.ok(s >= 200 && s <= 299)
        else assert.ok(r.error instanceof SdkError && r.error.code.startsWith('remote.'))
      }),
      { seed: 0x9a1, numRuns },
    )
  })
}

test('parseBrokerUrl and parsePairingTimestamp never throw', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true })), (s) => {
      const r = parseBrokerUrl(s)
      if (r.ok) assert.ok(Number.isInteger(r.value.port) && r.value.port > 0 && r.value.host !== '')
      const t = parsePairingTimestamp(s)
      assert.ok(t === undefined || Number.isFinite(t))
    }),
    { seed: 0x9a2, numRuns },
  )
})

test('parsePairingTimestamp round-trips every millisecond date in the space form', () => {
  const dates = fc.date({
    min: new Date(Date.UTC(1000, 0, 1)),
    max: new Date(Date.UTC(9999, 11, 31)),
    noInvalidDate: true,
  })
  fc.assert(
    fc.property(dates, (d) => {
      const text = d.toISOString().replace('T', ' ')
      assert.equal(parsePairingTimestamp(text), d.getTime())
    }),
    { seed: 0x9a3, numRuns },
  )
})
