import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { CertificateInfo, PairingAction } from '@astarte-ts/sdk-core'
import { PairingMachine, backoffDelayMs, renewalTimeMs } from '@astarte-ts/sdk-core'

const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 10000)
const YEAR = 365 * 86_400_000
/** `[0, 1)`, as Math.random */
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const cert = fc.record({
  notBeforeMs: fc.integer({ min: 0, max: 100 * YEAR }),
  lifetimeMs: fc.integer({ min: 1, max: 30 * YEAR }),
})

test('renewal time lies in [notBefore, notAfter) within renewAt ± jitter of the lifetime', () => {
  const policy = fc.record({
    renewAt: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    renewJitter: fc.double({ min: 0, max: 0.5, noNaN: true }),
  })
  fc.assert(
    fc.property(cert, policy, unit, ({ notBeforeMs, lifetimeMs }, p, r) => {
      const notAfterMs = notBeforeMs + lifetimeMs
      const t = renewalTimeMs({ notBeforeMs, notAfterMs }, p, () => r)
      assert.ok(Number.isInteger(t))
      assert.ok(t >= notBeforeMs && t < notAfterMs)
      const centre = notBeforeMs + p.renewAt * lifetimeMs
      assert.ok(Math.abs(t - centre) <= p.renewJitter * lifetimeMs + 1)
    }),
    { seed: 0x5c1, numRuns },
  )
})

test('backoff delay is in [0, min(max, initial × 2^attempt)) and never above max', () => {
  const policy = fc
    .record({ initialDelayMs: fc.integer({ min: 1, max: 60_000 }), extra: fc.nat(3_600_000) })
    .map(({ initialDelayMs, extra }) => ({ initialDelayMs, maxDelayMs: initialDelayMs + extra }))
  fc.assert(
    fc.property(fc.nat(10_000), policy, unit, (attempt, p, r) => {
      const delay = backoffDelayMs(attempt, p, () => r)
      const ceiling = Math.min(p.maxDelayMs, p.initialDelayMs * 2 ** attempt)
      assert.ok(Number.isInteger(delay) && delay >= 0 && delay < ceiling)
    }),
    { seed: 0x5c2, numRuns },
  )
})

// The machine with default policy: PEM texts stand for certificates through an in-memory parser,
// so thousands of lifetimes run without X.509 work (the X.509 path is in machine.test.ts).
test('PairingMachine schedules renewal at 75 % ± 5 % of any lifetime, never in the past nor in a loop', () => {
  const realm = 'test'
  const deviceId = 'AJInS0w3VpWpuOqkXhgZdA'
  fc.assert(
    fc.property(cert, unit, fc.integer({ min: 0, max: 2 * YEAR }), (c, r, ageMs) => {
      const info: CertificateInfo = {
        subjectCommonName: `${realm}/${deviceId}`,
        notBeforeMs: c.notBeforeMs,
        notAfterMs: c.notBeforeMs + c.lifetimeMs,
        serialNumber: '01',
      }
      const machine = new PairingMachine({
        pairingUrl: 'https://p',
        realm,
        deviceId,
        credentialsSecret: 's',
        keyAlgorithm: 'ec-p256',
        random: () => r,
        parseCertificate: () => info,
      })
      const nowMs = c.notBeforeMs + Math.min(ageMs, c.lifetimeMs - 1)
      const ready = issueOnce(machine, nowMs)
      const expected = renewalTimeMs(info, { renewAt: 0.75, renewJitter: 0.05 }, () => r)
      if (expected > nowMs) {
        assert.equal(ready.renewAtMs, expected)
      } else {
        // already due when issued (a clock ahead of the CA's): the renewal time counted from
        // now, or the retry backoff (first ceiling 1 s by default) when that is longer
        const fromIssue = expected - info.notBeforeMs
        const wait = ready.renewAtMs - nowMs
        assert.ok(wait >= fromIssue && (fromIssue >= 1000 ? wait === fromIssue : wait < 1000))
      }
    }),
    { seed: 0x5c3, numRuns },
  )
})

/** First boot up to `pairing.ready`, with every answer a success. */
function issueOnce(machine: PairingMachine, nowMs: number) {
  const info = {
    data: {
      version: '1',
      status: 'pending',
      protocols: { astarte_mqtt_v1: { broker_url: 'mqtts://b:8883' } },
    },
  }
  const crt = { data: { client_crt: 'P' } }
  let out: PairingAction[] = machine.handle({ type: 'pairing.start' }, nowMs)
  const answers = [
    (id: string) => ({ type: 'http.response', requestId: id, response: ok(200, info) }) as const,
    (id: string) =>
      ({ type: 'crypto.keyAndCsr', requestId: id, privateKeyPem: 'K', csrPem: 'C' }) as const,
    (id: string) => ({ type: 'http.response', requestId: id, response: ok(201, crt) }) as const,
    (id: string) => ({ type: 'credentials.saved', requestId: id }) as const,
  ]
  for (const answer of answers) {
    const action = out[0]
    assert.ok(action !== undefined && 'requestId' in action)
    out = machine.handle(answer(action.requestId), nowMs)
  }
  const ready = out.find((a) => a.type === 'pairing.ready')
  assert.ok(ready?.type === 'pairing.ready')
  return ready
}

const ok = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) })
