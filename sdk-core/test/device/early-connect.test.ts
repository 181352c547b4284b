/**
 * A restart with stored credentials: the device connects to the broker of its last device info
 * at once and Pairing checks the credentials alongside; a revoked certificate is still renewed
 * (then the device reconnects with the new one), and so is one the broker refuses.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryStore } from '@astarte-ts/runtime-testing'
import { SdkError } from '@astarte-ts/sdk-core'
import type { DeviceAction } from '@astarte-ts/sdk-core'
import { REALM, DEVICE_ID, harness } from './harness.js'

const route = (url: string): string =>
  url.replace(`https://api.test/pairing/v1/${REALM}/devices/${DEVICE_ID}`, '')
const VERIFY = 'POST /protocols/astarte_mqtt_v1/credentials/verify'
const CREDENTIALS = 'POST /protocols/astarte_mqtt_v1/credentials'

/** A store in which a first run paired with `brokerUrl` and went online. */
function storeOfAnEarlierRun(brokerUrl = 'mqtts://broker.test:8883/'): MemoryStore {
  const store = new MemoryStore()
  const first = harness({ store, pairing: {} })
  first.lb.feed({ type: 'start' })
  assert.equal(first.machine.state.tag, 'online')
  if (brokerUrl !== 'mqtts://broker.test:8883/') {
    // the earlier run knew another broker
    store.meta.set(
      'astarte.pairing.broker',
      JSON.stringify({ host: new URL(brokerUrl).hostname, port: Number(new URL(brokerUrl).port) }),
    )
  }
  return store
}

const kinds = (actions: readonly DeviceAction[]): string[] =>
  actions
    .filter((a) => a.type === 'mqtt.connect' || a.type === 'http' || a.type === 'mqtt.disconnect')
    .map((a) => (a.type === 'http' ? `${a.request.method} ${route(a.request.url)}` : a.type))

test('restart with stored credentials: connect first, Pairing checks alongside, nothing renewed', () => {
  const h = harness({ store: storeOfAnEarlierRun(), pairing: { existing: true } })
  h.lb.feed({ type: 'start' })
  assert.deepEqual(kinds(h.lb.actions), ['mqtt.connect', 'GET ', VERIFY])
  assert.equal(h.pairing?.issued, 1, 'only the certificate of the earlier run')
  assert.equal(h.machine.state.tag, 'online')
  assert.equal(h.lb.eventsOf('warning').length, 0)
})

test('restart with a revoked certificate: connected early, renewed, reconnected with the new one', () => {
  const h = harness({ store: storeOfAnEarlierRun(), pairing: { existing: true } })
  h.pairing?.revoked.add('1')
  h.lb.feed({ type: 'start' })
  assert.deepEqual(kinds(h.lb.actions), [
    'mqtt.connect',
    'GET ',
    VERIFY,
    CREDENTIALS,
    'mqtt.disconnect',
    'mqtt.connect',
  ])
  assert.equal(h.pairing?.saved.length, 1)
  assert.equal(h.machine.state.tag, 'online')
})

test('restart with a certificate the broker refuses: renewed before the next attempt, no verify', () => {
  const h = harness({ store: storeOfAnEarlierRun(), pairing: { existing: true } })
  h.lb.refuse = { count: 1, certificateRejected: true }
  h.lb.feed({ type: 'start' })
  assert.deepEqual(kinds(h.lb.actions), ['mqtt.connect', 'GET ', CREDENTIALS, 'mqtt.connect'])
  assert.equal(h.machine.state.tag, 'online')
})

test('the broker moved since the last run: reconnects to the one device info names', () => {
  const h = harness({
    store: storeOfAnEarlierRun('mqtts://old.test:1883/'),
    pairing: { existing: true },
  })
  h.lb.feed({ type: 'start' })
  const hosts = h.lb.actions.flatMap((a) =>
    a.type === 'mqtt.connect' ? [`${a.options.host}:${a.options.port}`] : [],
  )
  assert.deepEqual(hosts, ['old.test:1883', 'broker.test:8883'])
  assert.equal(h.machine.state.tag, 'online')
  assert.equal(h.store.meta.get('astarte.pairing.broker'), '{"host":"broker.test","port":8883}')
})

test('first boot stores the broker; an unreadable stored broker means the old order', () => {
  const store = storeOfAnEarlierRun()
  assert.equal(store.meta.get('astarte.pairing.broker'), '{"host":"broker.test","port":8883}')
  store.meta.set('astarte.pairing.broker', '{"host":"","port":70000}')
  const h = harness({ store, pairing: { existing: true } })
  h.lb.feed({ type: 'start' })
  assert.deepEqual(kinds(h.lb.actions), ['GET ', VERIFY, 'mqtt.connect'])
})

test('the Pairing requests of an early start wait for the end of its connect attempt', () => {
  // a stop lets them go too: the pairing sub-machine waits for their answers (ignored when idle)
  const outcomes = [
    [{ type: 'mqtt.connected', sessionPresent: true, resumed: [] }, ['GET ']],
    [
      {
        type: 'mqtt.connectFailed',
        error: new SdkError('remote.connection_lost', 'gone'),
        certificateRejected: false,
      },
      ['GET '],
    ],
    [{ type: 'stop' }, ['mqtt.disconnect', 'GET ']],
  ] as const
  for (const [outcome, expected] of outcomes) {
    const h = harness({ store: storeOfAnEarlierRun(), pairing: { existing: true } })
    // the machine alone, not the loopback: the connect stays pending until `outcome`
    assert.deepEqual(kinds(h.machine.handle({ type: 'start' }, 0)), ['mqtt.connect'], outcome.type)
    assert.equal(h.machine.state.tag, 'connecting')
    assert.deepEqual(kinds(h.machine.handle(outcome, 1)), expected, outcome.type)
    assert.deepEqual(kinds(h.machine.handle({ type: 'timer', timerId: 'none' }, 2)), [])
  }
})
