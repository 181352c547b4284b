/**
 * Durability of device → server data on the wire (spec §3.8, §3.9): what Astarte ends up with
 * when the `stored` queue is full (either overflow policy), and what a queued message becomes
 * when the interface it was queued for changes major before it is sent. A real `Device` on a
 * SQLite store against the recording broker, which keeps sessions like a persistent broker.
 */
import { afterEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { BSON, Int32 } from 'bson'
import { SdkError } from '@astarte-ts/sdk-core'
import {
  DeviceProps,
  INTERFACES,
  Sensors,
  Stream,
  publishView,
  startConformanceEnv,
} from './conformance-env.js'
import type { ConformanceEnv } from './conformance-env.js'

let env: ConformanceEnv | undefined
afterEach(async () => {
  await env?.stop()
  env = undefined
})

/** A broker keeping `clean=false` sessions: present from the second connection on. */
async function persistent(): Promise<ConformanceEnv> {
  env = await startConformanceEnv({ sessionPresent: (_, clean) => !clean })
  return env
}

const propTopic = (e: ConformanceEnv): string => `${e.prefix}/${DeviceProps.interface_name}/a/value`

test('reject-new, store full: a refused setProperty changes nothing, and setting the value again once there is room publishes it (§3.8, §3.9)', async () => {
  const e = await persistent()
  const device = await e.open({ storeLimits: { maxStoredMessages: 1, overflow: 'reject-new' } })
  await device.connect()
  await device.disconnect()
  await device.send(Stream.interface_name, '/stored', 1.5)
  await assert.rejects(
    device.setProperty(DeviceProps.interface_name, '/a/value', 5),
    (error: unknown) => error instanceof SdkError && error.code === 'local.store_full',
  )
  // the set was refused: the device must not claim a value Astarte will never get
  assert.equal(device.getProperty(DeviceProps.interface_name, '/a/value'), undefined)
  const synced = new Promise((resolve) => device.once('synced', resolve))
  await device.connect()
  await synced
  await e.broker.until('the stored datapoint', () => e.packets('publish', 2).length >= 1)
  await e.broker.until('its PUBACK handled', () => device.metrics().queued === 0)
  await device.setProperty(DeviceProps.interface_name, '/a/value', 5)
  await e.broker.until('the property on the wire', () =>
    e.packets('publish', 2).some((p) => publishView(p).topic === propTopic(e)),
  )
  const prop = e
    .packets('publish', 2)
    .map(publishView)
    .find((p) => p.topic === propTopic(e))
  assert.deepEqual(prop?.payload, Buffer.from(BSON.serialize({ v: new Int32(5) })))
})

test('drop-oldest, store full: a queued property unset evicted by newer data still reaches Astarte (§3.8, §3.9)', async () => {
  const e = await persistent()
  const device = await e.open({ storeLimits: { maxStoredMessages: 2 } })
  await device.connect()
  await device.setProperty(DeviceProps.interface_name, '/a/value', 1)
  await e.broker.until('the property set', () =>
    e.packets('publish', 1).some((p) => publishView(p).topic === propTopic(e)),
  )
  await device.disconnect()
  // offline: the unset is queued, then two datapoints evict it (the oldest) from the queue
  await device.unsetProperty(DeviceProps.interface_name, '/a/value')
  await device.send(Stream.interface_name, '/stored', 1.5)
  await device.send(Stream.interface_name, '/stored', 2.5)
  const synced = new Promise((resolve) => device.once('synced', resolve))
  await device.connect()
  await synced
  const stored = `${e.prefix}/${Stream.interface_name}/stored`
  await e.broker.until(
    'both datapoints',
    () => e.packets('publish', 2).filter((p) => publishView(p).topic === stored).length === 2,
  )
  const wire = e.packets('publish', 2).map(publishView)
  // Astarte learns the unset either from its zero-length publish or from a producer purge list
  // (sent with the full sync) that no longer names the property (§3.4 step 4, §3.6)
  const unset = wire.some((p) => p.topic === propTopic(e) && p.payload.length === 0)
  const purged = wire.some(
    (p) =>
      p.topic === `${e.prefix}/control/producer/properties` &&
      p.payload.equals(Buffer.from('00000000789c030000000001', 'hex')),
  )
  assert.ok(unset || purged, `Astarte still has ${DeviceProps.interface_name}/a/value = 1`)
})

test('a stored datapoint queued for major 1 is not sent once the interface is major 2 with another type (§3.3, §3.8, §3.10)', async () => {
  const e = await persistent()
  const storeDir = await e.storeDir()
  const first = await e.open({ storeDir })
  await first.connect()
  await first.disconnect()
  await first.send(Stream.interface_name, '/stored', 1.5)
  await first.close()
  // major 2 turns /stored into a string: a double there is `unexpected_value_type` for DUP, a
  // forced disconnect with the session wiped, and the stored message replays after every reconnect
  const StreamV2 = {
    ...Stream,
    version_major: 2,
    mappings: Stream.mappings.map((m) => (m.endpoint === '/stored' ? { ...m, type: 'string' } : m)),
  }
  const second = await e.open({
    storeDir,
    interfaces: INTERFACES.map((i) => (i === Stream ? StreamV2 : i)),
  })
  await second.connect()
  await second.send(Stream.interface_name, '/text', 'after the upgrade')
  const text = `${e.prefix}/${Stream.interface_name}/text`
  await e.broker.until('the new datapoint', () =>
    e.packets('publish', 2).some((p) => publishView(p).topic === text),
  )
  const stale = e
    .packets('publish', 2)
    .map(publishView)
    .filter((p) => p.topic === `${e.prefix}/${Stream.interface_name}/stored`)
  assert.deepEqual(stale, [], 'the major-1 double went out on the major-2 string mapping')
  // dropped from the store, not left behind to be tried again
  await e.broker.until('an empty queue', () => second.metrics().queued === 0)
})

test('a path parameter holding U+0000 is refused before queueing: MQTT forbids it in a topic name, the broker closes the connection (§1.3-K, §3.1, [MQTT-1.5.3-2])', async () => {
  const e = await persistent()
  const device = await e.open()
  await device.connect()
  // a property is always stored: queued, it would be replayed into the broker's refusal forever
  await assert.rejects(
    device.setProperty(DeviceProps.interface_name, '/a\u0000b/value', 1),
    (error: unknown) =>
      error instanceof SdkError &&
      error.code === 'local.invalid_value' &&
      error.issues.some((i) => i.code === 'invalid_path'),
  )
  await assert.rejects(
    device.sendObject(Sensors.interface_name, '/s\u0000', { temp: 1 }, { timestamp: new Date() }),
    (error: unknown) => error instanceof SdkError && error.code === 'local.invalid_value',
  )
  assert.equal(device.getProperty(DeviceProps.interface_name, '/a\u0000b/value'), undefined)
  await device.send(Stream.interface_name, '/guaranteed', 1.5)
  const topics = e.packets('publish').map((p) => publishView(p).topic)
  assert.ok(
    topics.every((t) => !t.includes('\u0000')),
    'a topic name with U+0000 went out',
  )
})
