import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeviceMachine, SdkError } from '@astarte-ts/sdk-core'
import { MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { harness, ifaces, individual } from './harness.js'

test('stop while online: disconnect, fail pending discard sends, keep stored data', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  h.lb.holdAcks = true
  const discard = h.send(individual(ifaces.guaranteed, '/g/value', 1))
  h.send(individual(ifaces.stored, '/s/value', 2))
  h.lb.feed({ type: 'stop' })
  assert.equal(h.machine.state.tag, 'idle')
  assert.deepEqual(
    h.lb.eventsOf('sendFailed').map((e) => [e.opId, e.error.code]),
    [[discard, 'local.connection_lost']],
  )
  assert.equal(h.lb.eventsOf('disconnected').length, 1)
  assert.equal(h.store.storedQueue.count(), 1)
  assert.deepEqual(h.lb.clock.pending(), [], 'no timer left running')
  h.lb.holdAcks = false
  h.lb.feed({ type: 'start' })
  assert.equal(h.store.storedQueue.count(), 0)
})

test('stop while connecting reports no disconnection; start again connects', () => {
  const h = harness()
  h.machine.handle({ type: 'start' }, 0)
  assert.equal(h.machine.state.tag, 'connecting')
  const out = h.machine.handle({ type: 'stop' }, 1)
  assert.deepEqual(
    out.filter((a) => a.type !== 'event').map((a) => a.type),
    ['mqtt.disconnect'],
  )
  const closed = h.machine.handle({ type: 'mqtt.closed' }, 2)
  assert.equal(h.machine.state.tag, 'idle')
  assert.ok(!closed.some((a) => a.type === 'event' && a.event.type === 'disconnected'))
})

test('stale inputs are ignored: acks of a past connection, timers of a left state', () => {
  const h = harness()
  h.lb.feed({ type: 'start' })
  const before = h.machine.metrics()
  h.lb.feed({ type: 'mqtt.published', publishId: 99_999 })
  h.lb.feed({ type: 'timer', timerId: 'device.backoff.12345' })
  h.lb.feed({ type: 'mqtt.subscribed', requestId: 'device.subscribe.424242' })
  assert.deepEqual(h.machine.metrics(), before)
  assert.equal(h.machine.state.tag, 'online')
})

test('the configuration is checked: realm, device id, broker or pairing, bounds', () => {
  const config = {
    interfaces: [],
    store: new MemoryStore(),
    inflater: zlibInflater,
    random: () => 0.5,
  }
  assert.throws(
    () =>
      new DeviceMachine({
        ...config,
        realm: 'Bad',
        deviceId: 'short',
        maxInflight: 0,
        maxPayloadBytes: 1.5,
      }),
    (e: unknown) =>
      e instanceof SdkError &&
      e.code === 'local.invalid_config' &&
      e.issues.map((i) => i.path).join() ===
        '/realm,/deviceId,/pairing,/maxInflight,/maxPayloadBytes',
  )
})
