import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { SdkError } from '@astarte-ts/sdk-core'
import { RollingMessageIdProvider, classifyConnectError } from '../../src/transport/index.js'

const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 10000)

test('property: an id is never handed out while in flight or reserved', () => {
  const op = fc.oneof(
    fc.constant({ type: 'allocate' as const }),
    fc.record({ type: fc.constant('free' as const), pick: fc.nat() }),
    fc.constant({ type: 'clear' as const }),
    fc.record({ type: fc.constant('release' as const), pick: fc.nat() }),
  )
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength: 5 }),
      (ops, reserved) => {
        const p = new RollingMessageIdProvider({ last: 0xfffa })
        const held = new Set<number>(reserved)
        const inFlight = new Set<number>()
        p.reserve(reserved)
        for (const o of ops) {
          switch (o.type) {
            case 'allocate': {
              const id = p.allocate()
              assert.ok(id !== null && id >= 1 && id <= 0xffff)
              assert.ok(!inFlight.has(id) && !held.has(id), `reused ${id}`)
              inFlight.add(id)
              break
            }
            case 'free': {
              const id = [...inFlight][o.pick % Math.max(1, inFlight.size)]
              if (id !== undefined) {
                p.deallocate(id)
                inFlight.delete(id)
              }
              break
            }
            case 'clear':
              p.clear()
              inFlight.clear()
              break
            case 'release': {
              const id = [...held][o.pick % Math.max(1, held.size)]
              if (id !== undefined) {
                p.release(id)
                held.delete(id)
              }
              break
            }
          }
          assert.deepEqual(
            p.inFlight(),
            [...inFlight].sort((a, b) => a - b),
          )
        }
      },
    ),
    { seed: 0x1d5, numRuns: Math.min(numRuns, 2000) },
  )
})

test('all 65 535 ids in flight: allocate returns null until one is freed; ids roll on', () => {
  const p = new RollingMessageIdProvider()
  const seen = new Set<number>()
  for (let i = 0; i < 0xffff; i++) seen.add(p.allocate() ?? -1)
  assert.equal(seen.size, 0xffff)
  assert.ok(!seen.has(-1))
  assert.equal(p.allocate(), null)
  p.deallocate(777)
  assert.equal(p.allocate(), 777)
  assert.equal(p.register(777), false)
})

test('the cursor outlives a provider: a new connection continues after the last id', () => {
  const cursor = { last: 0 }
  const first = new RollingMessageIdProvider(cursor)
  for (let i = 0; i < 10; i++) first.allocate()
  const second = new RollingMessageIdProvider(cursor)
  second.clear()
  assert.equal(second.allocate(), 11)
})

const alert = (code: string) => Object.assign(new Error(code), { code })
const where = { host: 'broker', port: 8883 }

for (const [cause, expected] of [
  [alert('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), 'remote.certificate_rejected'],
  [alert('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'remote.certificate_rejected'],
  [alert('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'), 'remote.certificate_rejected'],
  [alert('ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED'), 'remote.certificate_rejected'],
  [alert('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'remote.certificate_rejected'],
  // the same alert as Node 24's OpenSSL names it
  [alert('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED'), 'remote.certificate_rejected'],
  [
    Object.assign(new Error('Connection refused: Not authorized'), { code: 5 }),
    'remote.certificate_rejected',
  ],
  [
    Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }),
    'remote.certificate_rejected',
  ],
  [
    Object.assign(new Error('Connection refused: Server unavailable'), { code: 3 }),
    'remote.connect_failed',
  ],
  [alert('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'remote.tls_untrusted'],
  [alert('SELF_SIGNED_CERT_IN_CHAIN'), 'remote.tls_untrusted'],
  [alert('DEPTH_ZERO_SELF_SIGNED_CERT'), 'remote.tls_untrusted'],
  [alert('CERT_HAS_EXPIRED'), 'remote.tls_untrusted'],
  [alert('ERR_TLS_CERT_ALTNAME_INVALID'), 'remote.tls_untrusted'],
  [alert('ECONNREFUSED'), 'remote.connection_refused'],
  [alert('ENOTFOUND'), 'remote.dns_failed'],
  [alert('EAI_AGAIN'), 'remote.dns_failed'],
  [alert('ETIMEDOUT'), 'remote.connect_timeout'],
  [new Error('connack timeout'), 'remote.connect_timeout'],
  [alert('ECONNRESET'), 'remote.connect_failed'],
] as const) {
  test(`classifyConnectError: ${cause.message} → ${expected}`, () => {
    const e = classifyConnectError(cause, where)
    assert.ok(e instanceof SdkError)
    assert.equal(e.code, expected)
    assert.equal(e.cause, cause)
    assert.match(e.message, /^couldn't connect to broker:8883/)
  })
}
