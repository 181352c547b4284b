/**
 * A reboot in XS: what the device keeps in `Preference` outlives the engine. Values sent while
 * the network is down wait in the `stored` ring and reach Astarte after a restart of the engine;
 * the property cache answers `getProperty` at once after it.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { eventually, startSandboxEnv, type SandboxEnv } from './xs/sandbox-env.js'
import { XsDevice } from './xs/xs-device.js'

const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'

let env: SandboxEnv
before(async () => {
  env = await startSandboxEnv()
})
after(async () => {
  await env?.stop()
})

test('XS: stored values queued offline reach Astarte after a reboot; properties are cached', async () => {
  const { deviceId, preferences } = await env.provision()
  // the ring's message keys (`n` holds its next id)
  const queued = () => [...(preferences.get('astq')?.keys() ?? [])].filter((k) => k !== 'n').length
  const open = { interfaces: env.compiled, backoff: { minMs: 100, maxMs: 300 } }
  const first = await XsDevice.start({ preferences, open })
  try {
    await first.call('connect')
    await first.call('setProperty', STATUS, '/firmwareVersion', '2.0.0')
    // a property waits in the ring too until its exchange completed
    await eventually(
      'the property acknowledged',
      async () => queued(),
      (n) => n === 0,
    )
    first.host.offline = true
    first.host.dropConnections()
    await first.waitFor((e) => e.name === 'disconnected')
    for (const [n, value] of [21.5, 22.5, 23.5].entries()) {
      const timestamp = { $date: Date.UTC(2026, 0, 1, 0, n) }
      await first.call('send', TELEMETRY, '/s1/temperature', value, { timestamp })
    }
    assert.equal(queued(), 3, JSON.stringify([...(preferences.get('astq') ?? [])]))
  } finally {
    await first.stop()
  }

  const second = await XsDevice.start({ preferences, open })
  try {
    assert.equal(await second.call('getProperty', STATUS, '/firmwareVersion'), '2.0.0')
    await second.call('connect')
    const values = await eventually(
      'the three queued temperatures',
      async () =>
        (await env.api('GET', `devices/${deviceId}/interfaces/${TELEMETRY}/s1/temperature`)).data,
      (data) => Array.isArray(data) && data.length >= 3,
    )
    assert.deepEqual(
      (values as { value: number }[]).map((r) => r.value),
      [21.5, 22.5, 23.5],
    )
    await eventually(
      'the ring emptied',
      async () => queued(),
      (n) => n === 0,
    )
  } finally {
    await second.stop()
  }
})
