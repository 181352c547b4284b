/**
 * spec §3.4 "reconnect with randomized backoff", §4.3.4 (each credentials request revokes the
 * previous certificate): a broker that keeps refusing the device's certificate must not drive it
 * into a tight loop of renew → connect → refused → renew. The first refusal renews and reconnects
 * at once (an expired or revoked certificate); when the renewed one is refused too, every further
 * renewal is followed by a full-jitter backoff before the next connection.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { harness } from '../device/harness.js'

test('a certificate refused again after its renewal: backoff before the next connection, growing', () => {
  const h = harness({ pairing: {}, backoff: { minMs: 1_000, maxMs: 60_000 } })
  h.lb.refuse = { count: 5, certificateRejected: true }
  h.lb.feed({ type: 'start' })
  // first boot + one immediate renewal + the renewal after the second refusal, then a timer
  assert.equal(h.pairing?.issued, 3)
  const tag = (): string => h.machine.state.tag
  assert.equal(tag(), 'backoff')
  for (let step = 0; step < 20 && tag() !== 'online'; step++) h.lb.advance(60_000)
  assert.equal(tag(), 'online')
  // every refusal still renewed (the certificate may really be bad), never more
  assert.equal(h.pairing?.issued, 6)
})

test('a single refusal (expired or revoked certificate) renews and reconnects at once', () => {
  const h = harness({ pairing: {} })
  h.lb.refuse = { count: 1, certificateRejected: true }
  h.lb.feed({ type: 'start' })
  assert.equal(h.pairing?.issued, 2)
  assert.equal(h.machine.state.tag, 'online')
})
