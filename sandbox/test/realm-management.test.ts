import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Sandbox } from '../src/index.js'
import { call, FIXTURES, testSandbox } from './helpers.js'

const DP = 'org.astarte.test.DeviceProperties'
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>

describe('realm management (spec §5, §1.3)', () => {
  let sb: Sandbox
  let url: string
  const rm = (method: string, path: string, body?: unknown) =>
    call(method, `${url}${path}`, {
      auth: `Bearer ${sb.jwt}`,
      ...(body === undefined ? {} : { body }),
    })
  const install = async (data: unknown): Promise<number> => (await rm('POST', '', { data })).status
  before(async () => {
    sb = await testSandbox()
    url = `${sb.realmManagementUrl}/v1/${sb.realm}/interfaces`
  })
  after(() => sb.stop())

  it('installs an interface (201, Location, empty body), then lists and gets it', async () => {
    const iface = fixture(DP)
    const res = await rm('POST', '', { data: iface })
    assert.equal(res.status, 201)
    assert.equal(res.json, undefined)
    const location = `/realmmanagement/v1/${sb.realm}/interfaces/${DP}/1`
    assert.equal(res.headers.get('location'), location)
    assert.deepEqual((await rm('GET', '')).json, { data: [DP] })
    assert.deepEqual((await rm('GET', `/${DP}`)).json, { data: [1] })
    assert.deepEqual((await rm('GET', `/${DP}/1`)).json, { data: iface })
    assert.equal((await rm('GET', `/${DP}/2`)).status, 404)
    assert.equal((await rm('GET', '/org.Nothing')).status, 404)
  })

  it('answers 409 for an installed (name, major) or a colliding name', async () => {
    const base = {
      version_major: 1,
      version_minor: 0,
      type: 'properties',
      ownership: 'device',
      mappings: [{ endpoint: '/x', type: 'integer' }],
    }
    assert.equal(await install({ ...base, interface_name: 'org.a-b.Thing' }), 201)
    const again = await rm('POST', '', { data: { ...base, interface_name: 'org.a-b.Thing' } })
    assert.equal(again.status, 409)
    assert.deepEqual(again.json, { errors: { detail: 'Interface already exists' } })
    assert.equal(await install({ ...base, interface_name: 'org.ab.thing' }), 409)
    assert.equal(await install({ ...base, interface_name: 'org.a-b.Thing', version_major: 2 }), 201)
  })

  it('answers 422 for invalid interfaces, naming the offending fields', async () => {
    const overlapping = [
      { endpoint: '/a/%{b}', type: 'integer' },
      { endpoint: '/a/c', type: 'integer' },
    ]
    const invalid = [
      { ...fixture(DP), interface_name: 'just-interface-name' },
      { ...fixture(DP), mappings: overlapping },
      { ...fixture(DP), version_major: 0, version_minor: 0 },
      'not an interface',
    ]
    for (const data of invalid) {
      const res = await rm('POST', '', { data })
      assert.equal(res.status, 422, JSON.stringify(data).slice(0, 60))
      const errors = (res.json as { errors: Record<string, string[]> }).errors
      assert.ok(Object.keys(errors).length > 0)
    }
  })

  it('checks the a_rma claim and answers 400 without data', async () => {
    const as = (claims: Record<string, unknown>) => ({ auth: `Bearer ${sb.signJwt(claims)}` })
    assert.equal((await call('GET', url)).status, 401)
    assert.equal((await call('GET', url, as({ a_aea: ['.*::.*'] }))).status, 403)
    assert.equal((await call('GET', url, as({ a_rma: ['GET::interfaces'] }))).status, 200)
    assert.equal((await rm('POST', '', fixture('org.astarte.test.ServerObject'))).status, 400)
  })
})
