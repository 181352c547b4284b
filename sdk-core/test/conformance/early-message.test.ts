/**
 * spec §3.4: with `clean_session = false` the broker queues QoS 1/2 server messages while the
 * device is offline and flushes them right after CONNACK — possibly in the same read as the
 * CONNACK, so the transport reports the message before the machine has seen `mqtt.connected`.
 * The transport has acknowledged it by then: dropping it would lose a guaranteed message.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeviceMachine, encodeBson } from '@astarte-ts/sdk-core'
import { MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { DEVICE_ID, REALM, iface } from '../protocol/fixtures.js'

test('a server message that arrives while connecting (before mqtt.connected) is delivered', () => {
  const stream = iface('org.srv.Stream', { type: 'datastream', ownership: 'server' }, [
    { endpoint: '/%{id}/value', type: 'integer', reliability: 'guaranteed' },
  ])
  const machine = new DeviceMachine({
    realm: REALM,
    deviceId: DEVICE_ID,
    interfaces: [stream],
    store: new MemoryStore(),
    inflater: zlibInflater,
    broker: { host: 'broker.test', port: 8883 },
    random: () => 0.5,
  })
  machine.handle({ type: 'start' }, 0)
  assert.equal(machine.state.tag, 'connecting')
  const payload = encodeBson(new Map([['v', { type: 'int32', value: 7 } as const]]))
  const topic = `${REALM}/${DEVICE_ID}/org.srv.Stream/a/value`
  const events = machine
    .handle({ type: 'mqtt.message', topic, payload }, 1)
    .flatMap((a) => (a.type === 'event' ? [a.event] : []))
  assert.deepEqual(events, [
    { type: 'serverData', interfaceName: 'org.srv.Stream', path: '/a/value', value: 7 },
  ])
})
