/**
 * spec §2.3, §3.1: Core accepts a 65 536-byte string, but its `{"v": …}` payload is over the
 * broker's `max_message_size` (65 535). The device refuses such a send with a typed error before
 * anything is cached or queued, so it is never replayed into the broker's refusal.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeviceMachine, MAX_PAYLOAD_BYTES, validateIndividual } from '@astarte-ts/sdk-core'
import type { DeviceEvent, Validated } from '@astarte-ts/sdk-core'
import { MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { DEVICE_ID, REALM, iface } from '../protocol/fixtures.js'

const props = iface('org.dev.Text', { type: 'properties', ownership: 'device' }, [
  { endpoint: '/%{id}/text', type: 'string' },
])

function machineWith(store: MemoryStore, maxPayloadBytes?: number): DeviceMachine {
  return new DeviceMachine({
    realm: REALM,
    deviceId: DEVICE_ID,
    interfaces: [props],
    store,
    inflater: zlibInflater,
    broker: { host: 'broker.test', port: 8883 },
    random: () => 0.5,
    ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
  })
}

function valid(value: string): Validated {
  const v = validateIndividual(props, '/a/text', value)
  assert.ok(v.ok)
  return v.value
}

test('a property whose payload is over 65 535 bytes: local.payload_too_large, nothing cached or queued', () => {
  const store = new MemoryStore()
  const machine = machineWith(store)
  const events = (data: Validated, opId: number): DeviceEvent[] =>
    machine
      .handle({ type: 'send', opId, data }, 0)
      .flatMap((a) => (a.type === 'event' ? [a.event] : []))
  // 65 536 bytes: the largest string Core accepts
  const [failed] = events(valid('é'.repeat(32_768)), 1)
  assert.ok(failed?.type === 'sendFailed')
  assert.equal(failed.error.code, 'local.payload_too_large')
  assert.equal(store.properties.get('org.dev.Text', '/a/text'), undefined)
  assert.equal(store.storedQueue.count(), 0)
  // {"v": string} is 13 bytes of framing: a string of MAX - 13 bytes fits exactly
  assert.deepEqual(events(valid('x'.repeat(MAX_PAYLOAD_BYTES - 13)), 2), [
    { type: 'sendCompleted', opId: 2 },
  ])
  assert.equal(store.storedQueue.count(), 1)
})

test('maxPayloadBytes sets the cap: over it refused with the limit named, at it accepted', () => {
  const store = new MemoryStore()
  const machine = machineWith(store, 100)
  const events = (data: Validated, opId: number): DeviceEvent[] =>
    machine
      .handle({ type: 'send', opId, data }, 0)
      .flatMap((a) => (a.type === 'event' ? [a.event] : []))
  const [failed] = events(valid('x'.repeat(100 - 12)), 1)
  assert.ok(failed?.type === 'sendFailed')
  assert.equal(failed.error.code, 'local.payload_too_large')
  assert.deepEqual(failed.error.ctx, {
    interfaceName: 'org.dev.Text',
    path: '/a/text',
    bytes: 101,
    limit: 100,
  })
  assert.match(failed.error.message, /101-byte payload is over the 100-byte limit/)
  assert.equal(store.storedQueue.count(), 0)
  assert.deepEqual(events(valid('x'.repeat(100 - 13)), 2), [{ type: 'sendCompleted', opId: 2 }])
})
