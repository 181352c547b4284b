/**
 * The start with stored credentials and a known broker: `pairing.ready` at once so the device
 * connects while Pairing checks the credentials; an invalid verdict or a refused certificate
 * still renews them, and a certificate expired or due by the local clock is never announced.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { PairingAction } from '@astarte-ts/sdk-core'
import { DAY, Harness, LIFETIME, T0, deviceId, realm, secret } from './helpers/harness.js'
import { ScriptedPairing } from './helpers/scripted-pairing.js'
import { newKeyAndCsr, parseCertificate } from './helpers/test-pki.js'

const commonName = `${realm}/${deviceId}`
const info = 'GET AJInS0w3VpWpuOqkXhgZdA'
const credentials = 'POST credentials'
const verify = 'POST verify'
const lastBroker = { host: 'broker.test', port: 8883 }

/** A harness whose stored credentials `issuer` issued at `atMs`. */
function withStored(issuer: ScriptedPairing, atMs: number, server = issuer, nowMs = T0): Harness {
  const { privateKeyPem, csrPem } = newKeyAndCsr(commonName)
  const stored = { privateKeyPem, certificatePem: issuer.issue(csrPem, atMs) }
  const h = new Harness({ config: { credentials: stored }, nowMs })
  Object.assign(h, { server })
  return h
}

const pairingServer = (lifetimeMs = LIFETIME): ScriptedPairing =>
  new ScriptedPairing({ realm, deviceId, secret, lifetimeMs })

const readies = (actions: readonly PairingAction[]) =>
  actions.filter(
    (a): a is Extract<PairingAction, { type: 'pairing.ready' }> => a.type === 'pairing.ready',
  )

test('known broker and valid stored credentials: ready before any request, then info and verify', () => {
  const server = pairingServer()
  const h = withStored(server, T0 - DAY)
  const first = h.feed({ type: 'pairing.start', knownBroker: lastBroker })
  assert.deepEqual(
    first.map((a) => a.type),
    ['pairing.ready', 'http'],
  )
  const [early] = readies(first)
  assert.deepEqual(early?.brokerUrl, lastBroker)
  assert.equal(early?.renewed, false)
  assert.equal(h.timers.size, 0, 'no renewal timer before Pairing confirmed')
  h.settle()
  assert.deepEqual(h.routes(), [info, verify])
  const confirmed = readies(h.actions).at(-1)
  assert.equal(confirmed?.renewed, false)
  assert.equal(confirmed?.certificatePem, early?.certificatePem)
  assert.deepEqual([...h.timers.values()], [confirmed?.renewAtMs])
  assert.equal(h.machine.state, 'ready')
})

test('verify says invalid (revoked): renewed with a new key; the renewed ready tells to reconnect', () => {
  // issued by another CA: the server's verify answers invalid
  const h = withStored(pairingServer(), T0 - DAY, pairingServer())
  h.feed({ type: 'pairing.start', knownBroker: lastBroker })
  h.settle()
  assert.deepEqual(h.routes(), [info, verify, credentials])
  const [early, renewed] = readies(h.actions)
  assert.equal(early?.renewed, false)
  assert.equal(renewed?.renewed, true)
  assert.notEqual(renewed?.privateKeyPem, early?.privateKeyPem)
  assert.ok(h.server.ca.issued(renewed!.certificatePem))
})

test('the broker refused the announced certificate: renewal without verify', () => {
  const server = pairingServer()
  const h = withStored(server, T0 - DAY)
  h.feed({ type: 'pairing.start', knownBroker: lastBroker })
  h.feed({ type: 'pairing.renew' })
  h.settle()
  assert.deepEqual(h.routes(), [info, credentials])
  assert.equal(readies(h.actions).at(-1)?.renewed, true)
})

test('the broker moved: the confirmed ready names the broker of device info', () => {
  const server = pairingServer()
  const h = withStored(server, T0 - DAY)
  h.feed({ type: 'pairing.start', knownBroker: { host: 'old.example.com', port: 1883 } })
  h.settle()
  assert.deepEqual(
    readies(h.actions).map((r) => r.brokerUrl),
    [{ host: 'old.example.com', port: 1883 }, lastBroker],
  )
})

test('Pairing refuses the device after the announcement: failed, and every renew says so', () => {
  const server = pairingServer()
  const h = withStored(server, T0 - DAY)
  server.script.push({ status: 403, body: '{"errors":{"detail":"Forbidden"}}' })
  h.feed({ type: 'pairing.start', knownBroker: lastBroker })
  h.settle()
  assert.deepEqual(
    h.actions.map((a) => a.type),
    ['pairing.ready', 'http', 'pairing.failed'],
  )
  assert.equal(h.machine.state, 'failed')
  const again = h.feed({ type: 'pairing.renew' })
  assert.deepEqual(
    again.map((a) => a.type === 'pairing.failed' && a.error.code),
    ['remote.pairing_forbidden'],
  )
  assert.deepEqual(h.routes(), [info])
})

test('expired, due or unreadable stored credentials are never announced: renewed first', () => {
  const expired = withStored(pairingServer(DAY), T0 - 2 * DAY)
  const due = withStored(pairingServer(100 * DAY), T0 - 90 * DAY)
  const unreadable = new Harness({
    config: { credentials: { certificatePem: 'garbage', privateKeyPem: 'x' } },
  })
  for (const h of [expired, due, unreadable]) {
    const first = h.feed({ type: 'pairing.start', knownBroker: lastBroker })
    assert.deepEqual(
      first.map((a) => a.type),
      ['http'],
    )
    h.settle()
    assert.deepEqual(h.routes(), [info, credentials])
    assert.deepEqual(
      readies(h.actions).map((r) => r.renewed),
      [true],
    )
  }
})

test('without a known broker the order is unchanged: info, verify, then ready', () => {
  const h = withStored(pairingServer(), T0 - DAY)
  const first = h.feed({ type: 'pairing.start' })
  assert.deepEqual(
    first.map((a) => a.type),
    ['http'],
  )
  h.settle()
  assert.deepEqual(h.routes(), [info, verify])
  assert.equal(readies(h.actions).length, 1)
})

test('property: whatever the local clock, a stored certificate is announced only before its renewal time', () => {
  const server = pairingServer(10 * DAY)
  const { privateKeyPem, csrPem } = newKeyAndCsr(commonName)
  const stored = { privateKeyPem, certificatePem: server.issue(csrPem, T0) }
  const cert = parseCertificate(stored.certificatePem)
  fc.assert(
    fc.property(
      fc.integer({ min: T0 - DAY, max: T0 + 12 * DAY }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (nowMs, jitter) => {
        const h = new Harness({ config: { credentials: stored, random: () => jitter }, nowMs })
        const early = readies(h.feed({ type: 'pairing.start', knownBroker: lastBroker }))
        const lifetime = cert.notAfterMs - cert.notBeforeMs
        const renewAt = Math.min(
          Math.floor(cert.notBeforeMs + lifetime * (0.75 + (2 * jitter - 1) * 0.05)),
          cert.notAfterMs - 1,
        )
        assert.equal(early.length, nowMs < renewAt ? 1 : 0)
        for (const ready of early) {
          assert.ok(nowMs < ready.notAfterMs, 'never expired by the local clock')
          assert.equal(ready.renewAtMs, renewAt)
        }
      },
    ),
  )
})
