/**
 * The Moddable bundle in the real XS engine (`xsnap-worker`), against the sandbox: a device
 * provisioned at the factory connects from its `Preference` credentials, syncs, sends at QoS 0,
 * 1 and 2, receives a server-owned property, and resumes its MQTT session after losing the
 * connection with a QoS 2 exchange in flight (completed once: nothing duplicated).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { eventually, startSandboxEnv, type SandboxEnv } from './xs/sandbox-env.js'
import { XsDevice } from './xs/xs-device.js'
import { packetTypes } from './xs/packet-types.js'

const VOLATILE = 'org.astarte-ts.test.Volatile'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'
const SETTINGS = 'org.astarte-ts.examples.Settings'
const VALUES = 'org.astarte-ts.test.DeviceValues'

/** MQTT control packet types in the first byte's high nibble [MQTT-2.2.1]. */
const PUBREL = 6

let env: SandboxEnv
before(async () => {
  env = await startSandboxEnv()
})
after(async () => {
  await env?.stop()
})

async function valuesOf(deviceId: string, iface: string, path: string): Promise<unknown[]> {
  const { data } = await env.api('GET', `devices/${deviceId}/interfaces/${iface}${path}`)
  return Array.isArray(data) ? data.map((r: { value: unknown }) => r.value) : []
}

test('XS: factory credentials, sync, QoS 0/1/2, server property, session resumed', async () => {
  const { deviceId, preferences } = await env.provision()
  const keyBefore = JSON.stringify(preferences.get('astarte')?.get('key'))
  // after the first PUBREL (a QoS 2 exchange past PUBREC) the network fails once
  let cut = 'armed-later'
  const device = await XsDevice.start({
    preferences,
    open: { interfaces: env.compiled, backoff: { minMs: 100, maxMs: 500 } },
    onDeviceBytes: (bytes) => {
      if (cut === 'armed' && packetTypes(bytes).includes(PUBREL)) {
        cut = 'done'
        return 'drop'
      }
      return 'forward'
    },
  })
  try {
    await device.call('connect')
    assert.ok(device.events.some((e) => e.name === 'synced'))
    assert.equal(JSON.stringify(preferences.get('astarte')?.get('key')), keyBefore)

    // QoS 0 (unreliable), QoS 1 (guaranteed), QoS 2 (a property)
    await device.call('send', VOLATILE, '/note', 'hello from xs')
    await device.call('send', VOLATILE, '/count', 7)
    await device.call('setProperty', STATUS, '/firmwareVersion', '1.2.3')
    await eventually(
      'the three values in astarte',
      async () => [
        await valuesOf(deviceId, VOLATILE, '/note'),
        await valuesOf(deviceId, VOLATILE, '/count'),
        (await env.api('GET', `devices/${deviceId}/interfaces/${STATUS}`)).data,
      ],
      ([note, count, status]) =>
        (note as unknown[]).includes('hello from xs') &&
        (count as unknown[]).includes(7) &&
        (status as { firmwareVersion?: unknown } | undefined)?.firmwareVersion === '1.2.3',
    )

    // a server-owned property reaches the device
    const before = device.events.length
    const set = await env.api(
      'PUT',
      `devices/${deviceId}/interfaces/${SETTINGS}/samplingPeriodMs`,
      2500,
    )
    assert.ok(set.status < 300, JSON.stringify(set))
    const data = await device.waitFor(
      (e) => e.name === 'data' && e.payload['path'] === '/samplingPeriodMs',
      before,
    )
    assert.equal(data.payload['value'], 2500)
    assert.equal(data.payload['interfaceName'], SETTINGS)

    // a unique (QoS 2) send whose connection fails between PUBREC and PUBCOMP
    const mark = device.events.length
    cut = 'armed'
    const timestamp = { $date: Date.UTC(2026, 0, 2, 3, 4, 5) }
    // a stored send resolves once queued; its exchange goes on after
    await device.call('send', VALUES, '/xs/integer', 42, { timestamp })
    await eventually(
      'the connection cut after PUBREL',
      async () => cut,
      (c) => c === 'done',
    )
    const reconnected = await device.waitFor((e) => e.name === 'connected', mark)
    assert.equal(reconnected.payload['sessionPresent'], true)
    assert.ok(device.events.slice(mark).some((e) => e.name === 'disconnected'))
    await device.call('send', VALUES, '/xs/integer', 43, { timestamp })
    const values = await eventually(
      'both unique values',
      () => valuesOf(deviceId, VALUES, '/xs/integer'),
      (v) => v.includes(43),
    )
    assert.deepEqual(
      values.filter((v) => v === 42),
      [42],
    )
    assert.ok(device.peakHeapCount >= device.loadedHeapCount)
  } finally {
    await device.stop()
  }
})
