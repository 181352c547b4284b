import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PairingMachine, SdkError, isPairingId } from '@astarte-ts/sdk-core'
import { DAY, Harness, LIFETIME, T0, deviceId, realm, secret } from './helpers/harness.js'
import { ScriptedPairing } from './helpers/scripted-pairing.js'
import { newKeyAndCsr, parseCertificate } from './helpers/test-pki.js'

const commonName = `${realm}/${deviceId}`
const info = 'GET AJInS0w3VpWpuOqkXhgZdA'
const credentials = 'POST credentials'
const verify = 'POST verify'

/** Credentials issued by `server` at `atMs`, as an earlier run would have stored them. */
function storedBy(server: ScriptedPairing, atMs: number) {
  const { privateKeyPem, csrPem } = newKeyAndCsr(commonName)
  return { privateKeyPem, certificatePem: server.issue(csrPem, atMs) }
}

function lastReady(h: Harness) {
  const ready = h.of('pairing.ready').at(-1)
  assert.ok(ready, 'pairing.ready emitted')
  return ready
}

test('first boot: device info, new key and CSR, credentials, save, ready', () => {
  const h = new Harness().start()
  assert.deepEqual(h.routes(), [info, credentials])
  const [keyRequest] = h.of('crypto.createKeyAndCsr')
  assert.equal(keyRequest?.algorithm, 'ec-p256')
  assert.equal(keyRequest?.commonName, commonName)
  const ready = lastReady(h)
  assert.equal(ready.renewed, true)
  assert.deepEqual(ready.brokerUrl, { host: 'broker.test', port: 8883 })
  const { privateKeyPem, certificatePem } = ready
  assert.deepEqual(h.saved, { privateKeyPem, certificatePem })
  const cert = parseCertificate(ready.certificatePem)
  assert.equal(cert.subjectCommonName, commonName)
  assert.equal(ready.notAfterMs, cert.notAfterMs)
  // save precedes ready: a crash in between must not lose the only valid certificate
  const order = h.actions.map((a) => a.type)
  assert.ok(order.indexOf('credentials.save') < order.indexOf('pairing.ready'))
  // random() = 0.5 puts the renewal exactly at 75 % of the lifetime
  assert.equal(ready.renewAtMs, cert.notBeforeMs + 0.75 * (cert.notAfterMs - cert.notBeforeMs))
  assert.deepEqual([...h.timers.values()], [ready.renewAtMs])
  assert.equal(h.machine.state, 'ready')
  assert.ok(h.actions.every((a) => !('requestId' in a) || isPairingId(a.requestId)))
})

test('existing valid credentials: verify, then ready without a credentials request', () => {
  const server = new ScriptedPairing({ realm, deviceId, secret, lifetimeMs: LIFETIME })
  const stored = storedBy(server, T0 - DAY)
  const h = new Harness({ config: { credentials: stored } })
  Object.assign(h, { server })
  h.start()
  assert.deepEqual(h.routes(), [info, verify])
  assert.equal(h.of('crypto.createKeyAndCsr').length, 0)
  assert.equal(h.saved, undefined)
  const ready = lastReady(h)
  assert.equal(ready.renewed, false)
  assert.equal(ready.certificatePem, stored.certificatePem)
  assert.equal(ready.privateKeyPem, stored.privateKeyPem)
})

test('verify says invalid (another CA): renewal with a new key', () => {
  const other = new ScriptedPairing({ realm, deviceId, secret, lifetimeMs: LIFETIME })
  const stored = storedBy(other, T0 - DAY)
  const h = new Harness({ config: { credentials: stored } }).start()
  assert.deepEqual(h.routes(), [info, verify, credentials])
  const ready = lastReady(h)
  assert.equal(ready.renewed, true)
  assert.notEqual(ready.privateKeyPem, stored.privateKeyPem)
  assert.ok(h.server.ca.issued(ready.certificatePem))
})

test('expired or foreign stored certificates are renewed without a verify call', () => {
  const server = new ScriptedPairing({ realm, deviceId, secret, lifetimeMs: DAY })
  const expired = storedBy(server, T0 - 2 * DAY)
  // spec §4.4's second test vector: a certificate of another device
  const otherId = 'dvt9mLDaWb2vW7bdBJwKCg'
  const foreign = storedBy(
    new ScriptedPairing({ realm, deviceId: otherId, secret, lifetimeMs: LIFETIME }),
    T0,
  )
  for (const credentials of [expired, foreign, { certificatePem: 'garbage', privateKeyPem: 'x' }]) {
    const h = new Harness({ config: { credentials } }).start()
    assert.deepEqual(h.routes(), [info, 'POST credentials'])
    assert.equal(lastReady(h).renewed, true)
  }
})

test('a certificate past its renewal time is renewed at start, not verified', () => {
  const server = new ScriptedPairing({ realm, deviceId, secret, lifetimeMs: 100 * DAY })
  const stored = storedBy(server, T0 - 90 * DAY)
  const h = new Harness({ config: { credentials: stored } }).start()
  assert.deepEqual(h.routes(), [info, credentials])
})

test('the renewal timer fires at 75 % ± 5 % of the lifetime and renews; old cert revoked', () => {
  for (const random of [0, 0.5, 0.999999]) {
    const h = new Harness({ config: { random: () => random } }).start()
    const first = lastReady(h)
    const cert = parseCertificate(first.certificatePem)
    const expected = cert.notBeforeMs + LIFETIME * (0.75 + (2 * random - 1) * 0.05)
    const { atMs } = h.fireNextTimer()
    assert.ok(Math.abs(atMs - expected) <= 1, `${atMs} ≈ ${expected}`)
    const offset = atMs - cert.notBeforeMs
    assert.ok(offset >= 0.7 * LIFETIME && offset <= 0.8 * LIFETIME)
    assert.deepEqual(h.routes(), [info, credentials, credentials])
    const second = lastReady(h)
    assert.equal(second.renewed, true)
    assert.notEqual(second.privateKeyPem, first.privateKeyPem)
    assert.deepEqual(h.saved?.certificatePem, second.certificatePem)
    assert.ok(h.server.revoked.has(cert.serialNumber))
    assert.ok(parseCertificate(second.certificatePem).notBeforeMs >= atMs - 1000)
  }
})

test('pairing.renew in ready cancels the renewal timer and renews at once', () => {
  const h = new Harness().start()
  const [timerId] = h.timers.keys()
  const out = h.feed({ type: 'pairing.renew' })
  assert.deepEqual(out[0], { type: 'timer.cancel', timerId })
  assert.equal(out[1]?.type, 'crypto.createKeyAndCsr')
  h.settle()
  assert.deepEqual(h.routes(), [info, credentials, credentials])
  assert.equal(h.timers.size, 1)
})

test('never two credentials requests at once: renew while one is in flight is ignored', () => {
  const h = new Harness()
  h.feed({ type: 'pairing.start' })
  h.deliverOne() // device info
  h.deliverOne() // key and CSR → credentials request outstanding
  assert.equal(h.machine.state, 'requesting-credentials')
  assert.deepEqual(h.feed({ type: 'pairing.renew' }), [])
  assert.deepEqual(h.feed({ type: 'pairing.start' }), [])
  h.settle()
  assert.deepEqual(h.routes(), [info, credentials])
  assert.equal(h.of('pairing.ready').length, 1)
})

test('pairing.renew during device info skips verification', () => {
  const server = new ScriptedPairing({ realm, deviceId, secret, lifetimeMs: LIFETIME })
  const h = new Harness({ config: { credentials: storedBy(server, T0) } })
  Object.assign(h, { server })
  h.feed({ type: 'pairing.start' })
  h.feed({ type: 'pairing.renew' })
  h.settle()
  assert.deepEqual(h.routes(), [info, credentials])
})

test('pairing.renew during verify abandons it; the late verify answer is ignored', () => {
  const server = new ScriptedPairing({ realm, deviceId, secret, lifetimeMs: LIFETIME })
  const h = new Harness({ config: { credentials: storedBy(server, T0) } })
  Object.assign(h, { server })
  h.feed({ type: 'pairing.start' })
  h.deliverOne() // device info → verify outstanding
  const verifyAction = h.pending.shift()
  assert.equal(verifyAction?.type, 'http')
  h.feed({ type: 'pairing.renew' })
  h.settle()
  const late = h.feed({
    type: 'http.response',
    requestId: verifyAction.requestId,
    response: { status: 200, body: '{"data":{"valid":true}}' },
  })
  assert.deepEqual(late, [])
  assert.equal(lastReady(h).renewed, true)
})

for (const [status, code] of [
  [401, 'remote.pairing_unauthorized'],
  [403, 'remote.pairing_forbidden'],
  [404, 'remote.pairing_not_found'],
] as const) {
  test(`${status} from Pairing is terminal (${code}): no retry, no timer, no secret shown`, () => {
    const h = new Harness()
    h.server.script.push({ status, body: JSON.stringify({ errors: { detail: 'Forbidden' } }) })
    h.start()
    const [failed] = h.of('pairing.failed')
    assert.equal(failed?.error.code, code)
    assert.equal(h.machine.state, 'failed')
    assert.equal(h.timers.size, 0)
    assert.equal(h.of('pairing.retrying').length, 0)
    const shown = JSON.stringify({ m: failed?.error.message, c: failed?.error.ctx })
    assert.ok(!shown.includes(secret))
    // sticky: a renewal asked for meanwhile (a refused certificate) learns the same error
    assert.deepEqual(h.feed({ type: 'pairing.renew' }), [
      { type: 'pairing.failed', error: failed?.error },
    ])
    assert.deepEqual(h.routes(), [info])
    // a new start (e.g. after reconfiguration) tries again, once
    h.start()
    assert.deepEqual(h.routes(), [info, info, credentials])
    assert.equal(h.machine.state, 'ready')
  })
}

test('a wrong secret gets 403 from the server and stops there', () => {
  const h = new Harness({ server: { secret: 'another-secret' } }).start()
  assert.deepEqual(h.routes(), [info])
  assert.equal(h.of('pairing.failed')[0]?.error.code, 'remote.pairing_forbidden')
})

test('a 403 on the credentials request is terminal too', () => {
  const h = new Harness()
  h.feed({ type: 'pairing.start' })
  h.deliverOne()
  h.server.script.push({ status: 403, body: '{"errors":{"detail":"Forbidden"}}' })
  h.settle()
  assert.equal(h.of('pairing.failed')[0]?.error.code, 'remote.pairing_forbidden')
})

test('inhibited device: terminal remote.pairing_inhibited', () => {
  const h = new Harness()
  h.server.status = 'inhibited'
  h.start()
  assert.deepEqual(h.routes(), [info])
  assert.equal(h.of('pairing.failed')[0]?.error.code, 'remote.pairing_inhibited')
  assert.equal(h.machine.state, 'failed')
})

test('5xx and network errors are retried with full-jitter backoff, counted, then ready', () => {
  const retry = { initialDelayMs: 1000, maxDelayMs: 60_000 }
  const h = new Harness({ config: { random: () => 0.999, retry } })
  const unavailable = { status: 503, body: '{"errors":{"detail":"Service Unavailable"}}' }
  h.server.script.push(unavailable, 'network-error', { status: 500, body: '<html>' })
  h.start()
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const retrying = h.of('pairing.retrying')[attempt - 1]
    assert.equal(retrying?.attempt, attempt)
    assert.equal(retrying?.step, 'fetching-info')
    const before = h.nowMs
    const { atMs } = h.fireNextTimer()
    assert.equal(atMs, retrying?.atMs)
    const ceiling = 1000 * 2 ** (attempt - 1)
    assert.ok(atMs - before < ceiling && atMs - before >= 0.999 * ceiling - 1)
  }
  const codes = h.of('pairing.retrying').map((r) => r.error.code)
  const [unexpected, unreachable] = ['remote.pairing_unexpected', 'remote.pairing_unreachable']
  assert.deepEqual(codes, [unexpected, unreachable, unexpected])
  assert.deepEqual(h.routes(), [info, info, info, info, credentials])
  assert.equal(h.machine.state, 'ready')
  // the count restarts after success
  h.server.script.push('network-error')
  h.feed({ type: 'pairing.start' })
  h.settle()
  assert.equal(h.of('pairing.retrying').at(-1)?.attempt, 1)
})

test('backoff stays bounded by maxDelayMs however many failures', () => {
  const retry = { initialDelayMs: 1000, maxDelayMs: 8000 }
  const h = new Harness({ config: { random: () => 0.999, retry } })
  for (let i = 0; i < 20; i += 1) h.server.script.push('network-error')
  h.start()
  for (let i = 0; i < 20; i += 1) {
    const before = h.nowMs
    const { atMs } = h.fireNextTimer()
    assert.ok(atMs - before < 8000)
  }
  assert.equal(h.of('pairing.retrying').at(-1)?.attempt, 20)
  assert.equal(h.machine.state, 'ready')
})

test('verify and credentials failures retry the same step', () => {
  const server = new ScriptedPairing({ realm, deviceId, secret, lifetimeMs: LIFETIME })
  const h = new Harness({ config: { credentials: storedBy(server, T0) } })
  Object.assign(h, { server })
  h.feed({ type: 'pairing.start' })
  h.deliverOne()
  server.script.push('network-error')
  h.settle()
  assert.equal(h.of('pairing.retrying')[0]?.step, 'verifying')
  h.fireNextTimer()
  assert.deepEqual(h.routes(), [info, verify, verify])
  assert.equal(lastReady(h).renewed, false)
  h.feed({ type: 'pairing.renew' })
  h.deliverOne() // key and CSR
  server.script.push({ status: 502, body: '' })
  h.settle()
  assert.equal(h.of('pairing.retrying')[1]?.step, 'requesting-credentials')
  h.fireNextTimer()
  assert.deepEqual(h.routes(), [info, verify, verify, credentials, credentials])
  // the retry reuses the CSR of the same renewal: one key per renewal
  assert.equal(h.of('crypto.createKeyAndCsr').length, 1)
  const [first, second] = h.of('http').slice(-2)
  assert.equal(first?.request.body, second?.request.body)
})

test('a CSR refused with 422 is retried with a new key', () => {
  const h = new Harness()
  h.feed({ type: 'pairing.start' })
  h.deliverOne()
  h.deliverOne()
  h.server.script.push({ status: 422, body: '{"errors":{"csr":["is not a valid PEM CSR"]}}' })
  h.settle()
  const [retrying] = h.of('pairing.retrying')
  assert.equal(retrying?.error.code, 'remote.pairing_validation')
  assert.equal(retrying?.step, 'creating-key')
  h.fireNextTimer()
  assert.equal(h.of('crypto.createKeyAndCsr').length, 2)
  assert.equal(h.machine.state, 'ready')
})

test('crypto and save failures are retried; the save retry writes the same credentials', () => {
  const h = new Harness()
  h.cryptoFailures = 1
  h.saveFailures = 1
  h.start()
  assert.deepEqual(
    h.of('pairing.retrying').map((r) => [r.step, r.error.code]),
    [['creating-key', 'local.crypto_failed']],
  )
  h.fireNextTimer()
  assert.deepEqual(
    h.of('pairing.retrying').map((r) => r.step),
    ['creating-key', 'saving'],
  )
  h.fireNextTimer()
  const [failedSave, save] = h.of('credentials.save')
  assert.equal(failedSave?.certificatePem, save?.certificatePem)
  assert.deepEqual(h.routes(), [info, credentials])
  assert.equal(lastReady(h).certificatePem, save?.certificatePem)
})

test('a certificate due as soon as issued (clock ahead) is renewed a renewal time after its receipt, not in a loop', () => {
  // the server's clock is 80 days behind: a 100-day certificate is past 75 % when issued
  const h = new Harness({ server: { lifetimeMs: 100 * DAY }, config: { random: () => 0.999 } })
  h.start()
  h.nowMs += 200 * DAY
  Object.assign(h.server, { handle: skewed(h.server, -80 * DAY) })
  h.feed({ type: 'pairing.renew' })
  h.settle()
  const first = lastReady(h)
  // the renewal time the CA's clock gives, counted from now: past the notAfter this clock reads
  const offset = first.renewAtMs - h.nowMs
  assert.ok(offset > 75 * DAY && offset < 100 * DAY, `${offset / DAY} days`)
  assert.ok(first.renewAtMs > first.notAfterMs)
  assert.deepEqual(h.routes(), [info, credentials, credentials])
  h.nowMs = first.renewAtMs
  h.fireNextTimer()
  assert.deepEqual(h.routes(), [info, credentials, credentials, credentials])
  assert.ok(lastReady(h).renewAtMs - h.nowMs > 75 * DAY)
})

test('a certificate whose lifetime is shorter than a backoff: renewed after a growing backoff, not at once', () => {
  // a 1 s certificate from a server 10 s behind: due when issued, its renewal time 750 ms
  const h = new Harness({ server: { lifetimeMs: 1_000 }, config: { random: () => 0.999 } })
  h.start()
  Object.assign(h.server, { handle: skewed(h.server, -10_000) })
  h.feed({ type: 'pairing.renew' })
  h.settle()
  const waits: number[] = []
  for (let i = 0; i < 2; i++) {
    const ready = lastReady(h)
    waits.push(ready.renewAtMs - h.nowMs)
    h.nowMs = ready.renewAtMs
    h.fireNextTimer()
  }
  assert.ok(waits[0]! >= 900 && waits[1]! >= 1_800, `${waits.join(', ')} ms`)
})

function skewed(server: ScriptedPairing, offsetMs: number): ScriptedPairing['handle'] {
  const handle = server.handle.bind(server)
  return (req, nowMs) => handle(req, nowMs + offsetMs)
}

test('pairing.stop cancels timers; answers that arrive later are ignored; start resumes', () => {
  const h = new Harness().start()
  const [timerId] = h.timers.keys()
  assert.deepEqual(h.feed({ type: 'pairing.stop' }), [{ type: 'timer.cancel', timerId: timerId! }])
  assert.equal(h.machine.state, 'idle')
  assert.deepEqual(h.feed({ type: 'timer', timerId: timerId! }), [])
  h.feed({ type: 'pairing.start' })
  const inflight = h.pending.shift()
  h.feed({ type: 'pairing.stop' })
  assert.ok(inflight)
  assert.deepEqual(
    h.feed({ type: 'http.failed', requestId: inflight.requestId, error: new Error('late') }),
    [],
  )
  // the credentials issued before stop are verified on the next start
  h.start()
  assert.deepEqual(h.routes(), [info, credentials, info, verify])
  assert.equal(lastReady(h).renewed, false)
})

test('invalid configuration throws local.pairing_config with every issue', () => {
  assert.throws(
    () =>
      new PairingMachine({
        pairingUrl: 'pairing',
        realm: 'Bad',
        deviceId: 'short',
        credentialsSecret: '',
        keyAlgorithm: 'rsa-2048',
        renewAt: 1.5,
        random: Math.random,
        parseCertificate,
      }),
    (e: unknown) =>
      e instanceof SdkError &&
      e.code === 'local.pairing_config' &&
      ['/pairingUrl', '/realm', '/deviceId', '/credentialsSecret', '/renewAt'].every((p) =>
        e.issues.some((i) => i.path === p),
      ),
  )
})
