/**
 * spec §3.7 conformance: a device configured for the `plaintext` purge format must tell Astarte
 * through `P/capabilities` during the full sync, before emptyCache (whose answer, the consumer
 * purge list, Astarte writes in the format it has on record) and before its own producer purge
 * list; otherwise Astarte keeps its `zlib` default, can't read the plaintext list
 * (`purge_properties_error`, forced disconnect) and sends a list the device can't read. With the
 * default format nothing is sent: older Astarte versions lack the topic.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BSON } from 'bson'
import { DeviceMachine } from '@astarte-ts/sdk-core'
import type { DeviceAction, PurgeFormat } from '@astarte-ts/sdk-core'
import { MemoryStore, zlibInflater } from '@astarte-ts/runtime-testing'
import { DEVICE_ID, REALM, iface } from '../protocol/fixtures.js'

const P = `${REALM}/${DEVICE_ID}`
const interfaces = [
  iface('org.dev.Props', { type: 'properties', ownership: 'device' }),
  iface('org.srv.Props', { type: 'properties', ownership: 'server' }),
]

/** The sync publishes (topic, payload) of a first connection, driven input by input. */
function syncPublishes(purgeFormat?: PurgeFormat): Array<{ topic: string; payload: Uint8Array }> {
  const machine = new DeviceMachine({
    realm: REALM,
    deviceId: DEVICE_ID,
    interfaces,
    store: new MemoryStore(),
    inflater: zlibInflater,
    broker: { host: 'broker.test', port: 8883 },
    random: () => 0.5,
    ...(purgeFormat === undefined ? {} : { purgeFormat }),
  })
  machine.handle({ type: 'start' }, 0)
  const subscribe = machine
    .handle({ type: 'mqtt.connected', sessionPresent: false }, 1)
    .find(
      (a): a is Extract<DeviceAction, { type: 'mqtt.subscribe' }> => a.type === 'mqtt.subscribe',
    )
  assert.ok(subscribe !== undefined)
  return machine
    .handle({ type: 'mqtt.subscribed', requestId: subscribe.requestId }, 2)
    .filter((a): a is Extract<DeviceAction, { type: 'mqtt.publish' }> => a.type === 'mqtt.publish')
    .map(({ topic, payload }) => ({ topic, payload }))
}

test('plaintext purge format: capabilities go out after the introspection, before emptyCache (§3.7)', () => {
  const sync = syncPublishes('plaintext')
  assert.deepEqual(
    sync.map((p) => p.topic),
    [P, `${P}/capabilities`, `${P}/control/emptyCache`, `${P}/control/producer/properties`],
  )
  const expected = BSON.serialize({ purge_properties_compression_format: 'plaintext' })
  assert.deepEqual(Buffer.from(sync[1]?.payload ?? []), Buffer.from(expected))
  // §3.7: plaintext = the bare text, no header, no zlib; no property set = the empty string
  assert.equal(sync[3]?.payload.length, 0)
})

test('default (zlib) purge format: no capabilities message at all (§3.7)', () => {
  const topics = syncPublishes().map((p) => p.topic)
  assert.deepEqual(topics, [P, `${P}/control/emptyCache`, `${P}/control/producer/properties`])
})
