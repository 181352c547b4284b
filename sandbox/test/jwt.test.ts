import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, it } from 'node:test'
import { authorizeRealmRequest } from '../src/auth/authorize.js'
import { realmKeyFrom, signJwt, verifyJwt } from '../src/auth/jwt.js'

const now = 1_700_000_000
const b64 = (text: string): string => Buffer.from(text).toString('base64url')
const rsaPem = (): string =>
  generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString()

describe('realm jwt (spec §6)', () => {
  it('verifies ES256 and RS256 tokens of the matching key type only', () => {
    const ec = realmKeyFrom(undefined)
    const rsa = realmKeyFrom(rsaPem())
    assert.equal(ec.alg, 'ES256')
    assert.equal(rsa.alg, 'RS256')
    const claims = { a_pa: ['.*::.*'] }
    const expected = { iat: now, ...claims }
    assert.deepEqual(verifyJwt(signJwt(ec, claims, now), ec.publicKey, now), expected)
    assert.deepEqual(verifyJwt(signJwt(rsa, claims, now), rsa.publicKey, now), expected)
    assert.equal(verifyJwt(signJwt(ec, claims, now), rsa.publicKey, now), null)
    assert.equal(verifyJwt(signJwt(rsa, claims, now), ec.publicKey, now), null)
  })

  it('verifies PS256 tokens signed elsewhere', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const key = realmKeyFrom(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
    const input = `${b64('{"alg":"PS256"}')}.${b64('{"a_pa":[]}')}`
    const pss = { key: privateKey, padding: 6, saltLength: 32 }
    const signature = sign('sha256', Buffer.from(input), pss).toString('base64url')
    assert.deepEqual(verifyJwt(`${input}.${signature}`, key.publicKey, now), { a_pa: [] })
  })

  it('rejects expired, not-yet-valid, unsigned and tampered tokens', () => {
    const key = realmKeyFrom(undefined)
    assert.equal(verifyJwt(signJwt(key, { exp: now }, now), key.publicKey, now), null)
    assert.equal(verifyJwt(signJwt(key, { nbf: now + 10 }, now), key.publicKey, now), null)
    const none = `${b64('{"alg":"none"}')}.${b64('{}')}.`
    assert.equal(verifyJwt(none, key.publicKey, now), null)
    const [h, , s] = signJwt(key, { a_pa: [] }, now).split('.')
    const escalated = `${h}.${b64('{"a_pa":[".*::.*"]}')}.${s}`
    assert.equal(verifyJwt(escalated, key.publicKey, now), null)
  })

  it('matches METHOD:OPTS:PATH entries with anchored regexes', () => {
    const key = realmKeyFrom(undefined)
    const check = (entries: string[], method: string, path: string): boolean => {
      const header = `Bearer ${signJwt(key, { a_aea: entries }, now)}`
      return authorizeRealmRequest(header, key.publicKey, 'a_aea', method, path, `/x/${path}`, now)
        .ok
    }
    assert.equal(check(['GET::devices/.*'], 'GET', 'devices/abc/interfaces'), true)
    assert.equal(check(['GET::devices'], 'GET', 'devices/abc'), false)
    assert.equal(check(['G::.*'], 'GET', 'devices'), false)
    assert.equal(check(['GET|POST::devices/[^/]+'], 'POST', 'devices/abc'), true)
    assert.equal(check(['GET::devices/(a:b)'], 'GET', 'devices/a:b'), true)
    assert.equal(check(['(::.*'], 'GET', 'x'), false)
  })
})
