import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEVICE_ID, REALM, harness, ifaces, individual } from './harness.js'

const route = (url: string): string =>
  url.replace(`https://api.test/pairing/v1/${REALM}/devices/${DEVICE_ID}`, '')

test('first boot: device info, key and CSR, credentials, save, connect to the named broker', () => {
  const h = harness({ pairing: {} })
  h.lb.feed({ type: 'start' })
  assert.deepEqual(
    h.pairing?.requests.map((r) => `${r.method} ${route(r.url)}`),
    ['GET ', 'POST /protocols/astarte_mqtt_v1/credentials'],
  )
  assert.equal(h.pairing?.saved.length, 1)
  const connect = h.lb.actions.find((a) => a.type === 'mqtt.connect')
  assert.deepEqual(connect?.type === 'mqtt.connect' && connect.options, {
    host: 'broker.test',
    port: 8883,
    clientId: `${REALM}/${DEVICE_ID}`,
    keepaliveSec: 30,
    clean: false,
  })
  assert.equal(h.machine.state.tag, 'online')
  assert.deepEqual(
    h.lb.eventsOf('stateChanged').map((e) => e.state),
    ['pairing', 'connecting', 'syncing', 'online'],
  )
})

test('stored valid credentials are verified, not replaced', () => {
  const h = harness({ pairing: { existing: true } })
  h.lb.feed({ type: 'start' })
  assert.deepEqual(
    h.pairing?.requests.slice(1).map((r) => `${r.method} ${route(r.url)}`),
    ['GET ', 'POST /protocols/astarte_mqtt_v1/credentials/verify'],
  )
  assert.equal(h.pairing?.issued, 1)
  assert.equal(h.machine.state.tag, 'online')
})

test('a certificate the broker refuses is renewed before reconnecting', () => {
  const h = harness({ pairing: {} })
  h.lb.refuse = { count: 1, certificateRejected: true }
  h.lb.feed({ type: 'start' })
  assert.equal(h.pairing?.issued, 2)
  assert.equal(h.pairing?.revoked.has('1'), true)
  assert.equal(h.machine.state.tag, 'online')
})

test('renewal while online reconnects at once with the new certificate, losing nothing', () => {
  const lifetimeMs = 3_600_000
  const h = harness({ pairing: { lifetimeMs } })
  h.lb.feed({ type: 'start' })
  h.lb.holdAcks = true
  for (let n = 0; n < 3; n++) h.send(individual(ifaces.stored, '/s/value', n))
  const mark = h.astarte.transcript.length
  const states = h.lb.eventsOf('stateChanged').length
  h.lb.advance(lifetimeMs) // past the renewal point (75 % ± 5 % of the lifetime)
  assert.equal(h.pairing?.issued, 2)
  const after = h.astarte.transcript.slice(mark)
  assert.deepEqual(after.slice(0, 2), [
    { type: 'disconnect', reason: 'device disconnect' },
    { type: 'connect', sessionPresent: true },
  ])
  assert.deepEqual(
    h.lb
      .eventsOf('stateChanged')
      .slice(states)
      .map((e) => e.state),
    ['connecting', 'online'],
    'no backoff',
  )
  h.lb.releaseAcks()
  assert.equal(h.store.storedQueue.count(), 0)
  assert.equal(
    after.filter((e) => e.type === 'publish' && e.topic.includes('org.dev.Stored')).length,
    3,
  )
})

test('a renewal waits for the publishes in flight, so none is re-sent with a new packet id', () => {
  const lifetimeMs = 3_600_000
  const h = harness({ pairing: { lifetimeMs } })
  h.lb.feed({ type: 'start' })
  h.lb.holdAcks = true
  for (let n = 0; n < 3; n++) h.send(individual(ifaces.stored, '/s/value', n))
  h.lb.advance(lifetimeMs * 0.75 + 1) // the renewal point with random() = 0.5
  assert.equal(h.pairing?.issued, 2)
  assert.equal(h.astarte.connected, true, 'still draining')
  h.send(individual(ifaces.stored, '/s/value', 3))
  const stored = (): number =>
    h.astarte.received.filter((m) => m.topic.includes('org.dev.Stored')).length
  assert.equal(stored(), 3, 'the message sent while draining is held back')
  h.lb.releaseAcks()
  h.lb.releaseAcks()
  const kinds = h.astarte.transcript.map((e) => e.type)
  assert.deepEqual(kinds.slice(kinds.lastIndexOf('disconnect')), [
    'disconnect',
    'connect',
    'publish',
  ])
  assert.equal(stored(), 4, 'each message once')
  assert.equal(h.store.storedQueue.count(), 0)
})

test("a clock behind the certificate's issue: one warning saying to set it, the device still connects", () => {
  const day = 86_400_000
  // a board that booted with its image's time, 30 days old, before SNTP answered
  const behind = harness({ pairing: { clockBehindMs: 30 * day } })
  behind.lb.feed({ type: 'start' })
  assert.equal(behind.machine.state.tag, 'online')
  const [warning, ...more] = behind.lb.eventsOf('warning')
  assert.deepEqual(more, [])
  assert.equal(warning?.message, "this device's clock is behind: set it (SNTP, NTP)")
  const { nowMs, notBeforeMs } = warning?.ctx as { nowMs: number; notBeforeMs: number }
  assert.equal(notBeforeMs - nowMs, 30 * day)

  const inStep = harness({ pairing: {} })
  inStep.lb.feed({ type: 'start' })
  assert.equal(inStep.machine.state.tag, 'online')
  assert.deepEqual(inStep.lb.eventsOf('warning'), [])
})

test('a clock ahead of the certificate: one warning, and its renewal counted from the issue, not a renewal loop', () => {
  const day = 86_400_000
  // an RTC 200 days fast: every certificate issued (90 days) reads as expired
  const h = harness({ pairing: { clockBehindMs: -200 * day, lifetimeMs: 90 * day } })
  h.lb.feed({ type: 'start' })
  assert.equal(h.machine.state.tag, 'online')
  const [warning, ...more] = h.lb.eventsOf('warning')
  assert.deepEqual(more, [])
  assert.equal(warning?.message, "this device's clock is ahead: set it (SNTP, NTP)")
  // a day of backoffs' worth: no certificate is issued again
  for (let hour = 0; hour < 24; hour++) h.lb.advance(3_600_000)
  assert.equal(h.pairing?.issued, 1)
  assert.equal(h.machine.state.tag, 'online')
  // renewed when the CA's clock says so: 90 days after the issue, with the lifetime's margin
  for (let d = 0; d < 90; d++) h.lb.advance(day)
  assert.equal(h.pairing?.issued, 2)
})
