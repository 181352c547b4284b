import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { Sandbox } from '../src/index.js'
import { call, credentialsUrl, FIXTURES, newDeviceId, register, testSandbox } from './helpers.js'

const SP = 'org.astarte.test.ServerProperties'

/** Network round trips, not a codec: a few hundred runs cover every route with random input. */
const numRuns = Math.min(Number(process.env['FC_NUM_RUNS'] ?? 300), 300)

describe('http apis answer bad input with Astarte errors, never a 500', () => {
  let sb: Sandbox
  let deviceId: string
  let secret: string
  before(async () => {
    sb = await testSandbox({ interfacesDir: FIXTURES })
    deviceId = newDeviceId()
    secret = await register(sb, deviceId, { [SP]: { major: 1, minor: 0 } })
  })
  after(() => sb.stop())

  it('for random bodies, methods and paths', async () => {
    const credentials = () => credentialsUrl(sb, deviceId)
    const device = () => `${sb.appengineUrl}/v1/${sb.realm}/devices/${deviceId}`
    const route = fc.constantFrom(
      () => `${sb.pairingUrl}/v1/${sb.realm}/agent/devices`,
      credentials,
      () => `${credentials()}/verify`,
      () => `${sb.realmManagementUrl}/v1/${sb.realm}/interfaces`,
      device,
      () => `${device()}/interfaces/${SP}/mode`,
      () => `${device()}/interfaces/${SP}/rooms/a/setpoint`,
    )
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH')
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify({ data: v })),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 40 }),
    )
    await fc.assert(
      fc.asyncProperty(route, method, body, fc.boolean(), async (url, m, raw, asAgent) => {
        const auth = asAgent ? `Bearer ${sb.jwt}` : `Bearer ${secret}`
        const res = await call(m, url(), m === 'GET' ? { auth } : { auth, rawBody: raw })
        assert.ok(res.status < 500 || res.status === 503, `${m} ${url()} ${raw} → ${res.status}`)
      }),
      { seed: 0x5a4e, numRuns },
    )
  })
})
