import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { connect, type PeerCertificate } from 'node:tls'
import type { Sandbox } from '../src/index.js'
import {
  call,
  credentialsUrl,
  forgedCertificate,
  makeCsr,
  newDeviceId,
  obtainCertificate,
  register,
  testSandbox,
} from './helpers.js'

/** The same CSR with the last byte of its signature flipped. */
function tamperSignature(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0xff
  const body = der.toString('base64')
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`
}

const detailBody = (detail: string) => ({ errors: { detail } })
const bearer = (token: string) => ({ auth: `Bearer ${token}` })
const SPACE_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/

describe('pairing api v1 (spec §4)', () => {
  let sb: Sandbox
  let agentUrl: string
  const agent = (body: unknown, token = sb.jwt) =>
    call('POST', agentUrl, { ...bearer(token), body })
  const info = (id: string, secret: string) =>
    call('GET', `${sb.pairingUrl}/v1/${sb.realm}/devices/${id}`, bearer(secret))
  const credentials = (id: string, secret: string, data: unknown) =>
    call('POST', credentialsUrl(sb, id), { ...bearer(secret), body: { data } })
  const verify = (id: string, secret: string, data: unknown) =>
    call('POST', `${credentialsUrl(sb, id)}/verify`, { ...bearer(secret), body: { data } })
  before(async () => {
    sb = await testSandbox()
    agentUrl = `${sb.pairingUrl}/v1/${sb.realm}/agent/devices`
  })
  after(() => sb.stop())

  describe('register (§4.3.1)', () => {
    it('returns a 44-char standard base64 secret of 32 bytes', async () => {
      const res = await agent({ data: { hw_id: newDeviceId() } })
      assert.equal(res.status, 201)
      const secret = (res.json as { data: { credentials_secret: string } }).data.credentials_secret
      assert.match(secret, /^[A-Za-z0-9+/]{43}=$/)
      assert.equal(Buffer.from(secret, 'base64').length, 32)
    })

    it('re-registration before credentials gives a new secret and voids the old one', async () => {
      const id = newDeviceId()
      const first = await register(sb, id)
      const second = await register(sb, id)
      assert.notEqual(first, second)
      assert.equal((await info(id, first)).status, 403)
      assert.equal((await info(id, second)).status, 200)
    })

    it('refuses re-registration once credentials were requested (422)', async () => {
      const id = newDeviceId()
      await obtainCertificate(sb, id, await register(sb, id))
      const res = await agent({ data: { hw_id: id } })
      assert.equal(res.status, 422)
      assert.deepEqual(res.json, detailBody('Device already registered'))
    })

    it('accepts an extended id and keeps only its first 16 bytes', async () => {
      await register(sb, Buffer.alloc(32, 7).toString('base64url'))
      const canonical = Buffer.alloc(16, 7).toString('base64url')
      const res = await call('DELETE', `${agentUrl}/${canonical}`, bearer(sb.jwt))
      assert.equal(res.status, 204)
    })

    const notAnId = ['is not a valid base64 encoded 128 bits id']
    const invalidCases: [string, unknown, Record<string, string[]>][] = [
      ['missing hw_id', {}, { hw_id: ["can't be blank"] }],
      ['short hw_id', { hw_id: 'AAAA' }, { hw_id: notAnId }],
      ['non-url-safe hw_id', { hw_id: 'a+b/cdefghijklmnopqrstu' }, { hw_id: notAnId }],
      [
        'introspection entry without versions',
        { hw_id: newDeviceId(), initial_introspection: { 'org.X': { major: 1 } } },
        { initial_introspection: ['has invalid format for interface org.X'] },
      ],
      [
        'negative introspection versions',
        { hw_id: newDeviceId(), initial_introspection: { 'org.Y': { major: -1, minor: 0 } } },
        { initial_introspection: ['has negative versions in interface org.Y'] },
      ],
    ]
    for (const [name, data, errors] of invalidCases) {
      it(`answers 422 for ${name}`, async () => {
        const res = await agent({ data })
        assert.equal(res.status, 422)
        assert.deepEqual(res.json, { errors })
      })
    }

    it('answers 413 for an oversized body', async () => {
      const rawBody = `{"data":"${'x'.repeat(2 * 1024 * 1024)}"}`
      const res = await call('POST', agentUrl, { ...bearer(sb.jwt), rawBody })
      assert.equal(res.status, 413)
    })

    it('answers 400 without data and for malformed json', async () => {
      assert.equal((await agent({ hw_id: newDeviceId() })).status, 400)
      const malformed = await call('POST', agentUrl, { ...bearer(sb.jwt), rawBody: '{"data": ' })
      assert.equal(malformed.status, 400)
    })

    it('answers 401 without a token and for a bad token', async () => {
      const body = { data: { hw_id: newDeviceId() } }
      const missing = await call('POST', agentUrl, { body })
      assert.equal(missing.status, 401)
      assert.deepEqual(missing.json, detailBody('Missing authorization token'))
      const [h, p] = sb.jwt.split('.')
      const forged = `${h}.${p}.${Buffer.alloc(64, 1).toString('base64url')}`
      const expired = sb.signJwt({ a_pa: ['.*::.*'], exp: 1 })
      for (const token of ['not-a-jwt', forged, expired]) {
        const res = await agent(body, token)
        assert.equal(res.status, 401)
        assert.deepEqual(res.json, detailBody('Invalid JWT token'))
      }
    })

    it('answers 403 when no claim entry matches (anchored regexes)', async () => {
      const body = { data: { hw_id: newDeviceId() } }
      const path = `/pairing/v1/${sb.realm}/agent/devices`
      const message = `Unauthorized access to POST ${path}. Please verify your permissions`
      const refused = [
        { a_aea: ['.*::.*'] },
        { a_pa: ['GET::agent/devices'] },
        { a_pa: ['POST::agent'] },
        { a_pa: ['OST::agent/devices'] },
      ]
      for (const claims of refused) {
        const res = await agent(body, sb.signJwt(claims))
        assert.equal(res.status, 403, JSON.stringify(claims))
        assert.deepEqual(res.json, detailBody(message))
      }
      const minimal = await agent(body, sb.signJwt({ a_pa: ['POST::agent/devices'] }))
      assert.equal(minimal.status, 201)
    })

    it('answers 403 Forbidden for another realm', async () => {
      const res = await call('POST', `${sb.pairingUrl}/v1/otherrealm/agent/devices`, {
        ...bearer(sb.jwt),
        body: { data: { hw_id: newDeviceId() } },
      })
      assert.equal(res.status, 403)
      assert.deepEqual(res.json, detailBody('Forbidden'))
    })
  })

  describe('unregister (§4.3.2)', () => {
    it('answers 204, then 404, and the device can register again', async () => {
      const id = newDeviceId()
      await obtainCertificate(sb, id, await register(sb, id))
      const first = await call('DELETE', `${agentUrl}/${id}`, bearer(sb.jwt))
      assert.equal(first.status, 204)
      assert.equal(first.json, undefined)
      const second = await call('DELETE', `${agentUrl}/${id}`, bearer(sb.jwt))
      assert.equal(second.status, 404)
      assert.deepEqual(second.json, detailBody('Device not found'))
      await register(sb, id)
    })

    it('needs a matching DELETE claim', async () => {
      const id = newDeviceId()
      await register(sb, id)
      const postOnly = bearer(sb.signJwt({ a_pa: ['POST::agent/devices'] }))
      assert.equal((await call('DELETE', `${agentUrl}/${id}`, postOnly)).status, 403)
      const allowed = bearer(sb.signJwt({ a_pa: ['DELETE::agent/devices/.*'] }))
      assert.equal((await call('DELETE', `${agentUrl}/${id}`, allowed)).status, 204)
    })
  })

  describe('device info (§4.3.3)', () => {
    it('reports pending, then confirmed, with the broker url', async () => {
      const id = newDeviceId()
      const secret = await register(sb, id)
      const pending = await info(id, secret)
      assert.equal(pending.status, 200)
      const protocols = { astarte_mqtt_v1: { broker_url: sb.mqttUrl } }
      assert.deepEqual(pending.json, { data: { version: '1.2.0', status: 'pending', protocols } })
      assert.match(sb.mqttUrl, /^mqtts:\/\/127\.0\.0\.1:\d+\/$/)
      await obtainCertificate(sb, id, secret)
      const url = `${sb.pairingUrl}/v1/${sb.realm}/devices/${id}`
      const confirmed = await call('GET', url, { auth: `bearer: ${secret}` })
      assert.equal((confirmed.json as { data: { status: string } }).data.status, 'confirmed')
    })

    it('reports inhibited and refuses credentials while AppEngine inhibits them', async () => {
      const id = newDeviceId()
      const secret = await register(sb, id)
      const device = `${sb.appengineUrl}/v1/${sb.realm}/devices/${id}`
      const inhibit = (value: boolean) =>
        call('PATCH', device, {
          ...bearer(sb.jwt),
          body: { data: { credentials_inhibited: value } },
        })
      const patched = (await inhibit(true)).json as { data: { credentials_inhibited: boolean } }
      assert.equal(patched.data.credentials_inhibited, true)
      const status = ((await info(id, secret)).json as { data: { status: string } }).data.status
      assert.equal(status, 'inhibited')
      const { csrPem } = await makeCsr('ec', 'x')
      assert.equal((await credentials(id, secret, { csr: csrPem })).status, 403)
      await inhibit(false)
      await obtainCertificate(sb, id, secret)
    })

    it('answers 401 without header, 403 for a wrong secret, 404 for an unknown id', async () => {
      const id = newDeviceId()
      await register(sb, id)
      const noHeader = await call('GET', `${sb.pairingUrl}/v1/${sb.realm}/devices/${id}`)
      assert.equal(noHeader.status, 401)
      assert.deepEqual(noHeader.json, detailBody('Unauthorized'))
      const wrong = await info(id, Buffer.alloc(32).toString('base64'))
      assert.equal(wrong.status, 403)
      assert.deepEqual(wrong.json, detailBody('Forbidden'))
      const unknown = await info(newDeviceId(), 'x')
      assert.equal(unknown.status, 404)
      assert.deepEqual(unknown.json, detailBody('Device not found'))
    })
  })

  describe('credentials (§4.3.4)', () => {
    for (const kind of ['ec', 'rsa'] as const) {
      it(`signs a ${kind} csr with the CN forced to <realm>/<device_id>`, async () => {
        const id = newDeviceId()
        const secret = await register(sb, id)
        const { csrPem } = await makeCsr(kind, 'CN-chosen-by-device')
        const res = await credentials(id, secret, { csr: csrPem })
        assert.equal(res.status, 201)
        const pem = (res.json as { data: { client_crt: string } }).data.client_crt
        const cert = new X509Certificate(pem)
        assert.equal(cert.subject, `CN=${sb.realm}/${id}`)
        assert.ok(cert.verify(new X509Certificate(sb.caPem).publicKey))
        assert.equal(pem.match(/BEGIN CERTIFICATE/g)?.length, 1)
      })
    }

    it('answers 422 for a blank, invalid or double csr', async () => {
      const id = newDeviceId()
      const secret = await register(sb, id)
      const { csrPem } = await makeCsr('ec', 'x')
      const invalidPem = 'is not a valid PEM CSR'
      const cases: [unknown, string][] = [
        [{}, "can't be blank"],
        [{ csr: '' }, "can't be blank"],
        [{ csr: 'hello' }, invalidPem],
        [{ csr: csrPem + csrPem }, invalidPem],
        [{ csr: tamperSignature(csrPem) }, invalidPem],
      ]
      for (const [data, message] of cases) {
        const res = await credentials(id, secret, data)
        assert.equal(res.status, 422, JSON.stringify(data).slice(0, 40))
        assert.deepEqual(res.json, { errors: { csr: [message] } })
      }
    })

    it('answers 403 for a wrong secret, 404 for an unknown id, 401 without header', async () => {
      const id = newDeviceId()
      await register(sb, id)
      const { csrPem } = await makeCsr('ec', 'x')
      assert.equal((await credentials(id, 'nope', { csr: csrPem })).status, 403)
      assert.equal((await credentials(newDeviceId(), 'nope', { csr: csrPem })).status, 404)
      const body = { data: { csr: csrPem } }
      const noHeader = await call('POST', credentialsUrl(sb, id), { body })
      assert.equal(noHeader.status, 401)
    })
  })

  describe('verify (§4.3.5)', () => {
    it('reports a valid certificate with space-separated timestamps', async () => {
      const id = newDeviceId()
      const secret = await register(sb, id)
      const { certPem } = await obtainCertificate(sb, id, secret)
      const res = await verify(id, secret, { client_crt: certPem })
      assert.equal(res.status, 200)
      const data = (res.json as { data: { valid: boolean; timestamp: string; until: string } }).data
      assert.equal(data.valid, true)
      assert.match(data.timestamp, SPACE_TIMESTAMP)
      assert.match(data.until, SPACE_TIMESTAMP)
      const validTo = new Date(new X509Certificate(certPem).validTo).getTime()
      assert.equal(new Date(data.until.replace(' ', 'T')).getTime(), validTo)
    })

    it('reports INVALID, INVALID_ISSUER and INVALID_SIGNATURE', async () => {
      const id = newDeviceId()
      const secret = await register(sb, id)
      const caName = new X509Certificate(sb.caPem).subject.replace(/^CN=/, '')
      const cases: [string, string][] = [
        ['garbage', 'INVALID'],
        [(await forgedCertificate('someone else')).certPem, 'INVALID_ISSUER'],
        [(await forgedCertificate(caName)).certPem, 'INVALID_SIGNATURE'],
      ]
      for (const [pem, cause] of cases) {
        const res = await verify(id, secret, { client_crt: pem })
        assert.equal(res.status, 200)
        const data = (res.json as { data: Record<string, unknown> }).data
        assert.equal(data['valid'], false)
        assert.equal(data['cause'], cause)
        assert.equal(data['details'], null)
        assert.match(String(data['timestamp']), SPACE_TIMESTAMP)
      }
    })

    it('answers 422 for a blank certificate', async () => {
      const id = newDeviceId()
      const secret = await register(sb, id)
      const res = await verify(id, secret, {})
      assert.equal(res.status, 422)
      assert.deepEqual(res.json, { errors: { client_crt: ["can't be blank"] } })
    })
  })

  it('serves the version routes', async () => {
    const inRealm = await call('GET', `${sb.pairingUrl}/v1/${sb.realm}/version`)
    assert.deepEqual(inRealm.json, { data: '1.2.0' })
    assert.deepEqual((await call('GET', `${sb.pairingUrl}/version`)).json, { data: '1.2.0' })
  })
})

describe('verify of an expired certificate', () => {
  it("reports EXPIRED; the broker's certificate is not that short", async () => {
    const sb = await testSandbox({ certLifetimeSec: 1 })
    try {
      const id = newDeviceId()
      const secret = await register(sb, id)
      const { certPem } = await obtainCertificate(sb, id, secret)
      await new Promise((r) => setTimeout(r, 2100))
      const res = await call('POST', `${credentialsUrl(sb, id)}/verify`, {
        ...bearer(secret),
        body: { data: { client_crt: certPem } },
      })
      assert.equal((res.json as { data: { cause: string } }).data.cause, 'EXPIRED')
      // the broker's own certificate keeps the default lifetime: still trusted afterwards
      const url = new URL(sb.mqttUrl)
      const served = await new Promise<PeerCertificate | undefined>((resolve) => {
        let seen: PeerCertificate | undefined
        const socket = connect({
          host: url.hostname,
          port: Number(url.port),
          ca: sb.caPem,
          // called only once the chain verified (an expired one fails before)
          checkServerIdentity: (_host, cert) => {
            seen = cert
            return undefined
          },
        })
        // the broker wants a client certificate this socket lacks: an error may follow
        const done = () => {
          socket.destroy()
          resolve(seen)
        }
        socket.once('secureConnect', done)
        socket.once('error', done)
      })
      assert.ok(served !== undefined, "the broker's certificate verified")
      assert.ok(Date.parse(served.valid_to) - Date.now() > 24 * 3600 * 1000, served.valid_to)
    } finally {
      await sb.stop()
    }
  })
})
