/**
 * A reboot in XS: what the device keeps in `Preference` outlives the engine. Values sent while
 * the network is down wait in the `stored` ring and reach Astarte after a restart of the engine;
 * the property cache answers `getProperty` at once after it. The MQTT session (`astms`) outlives
 * it too: an engine stopped in the middle of a QoS 2 exchange, outgoing (past PUBREC, before
 * PUBCOMP) or incoming (PUBREC written, no PUBREL yet), completes it after the restart, and
 * Astarte stores the `unique` value once, the application sees the server's property once; so
 * too for a send whose ring record is over NVS's 4000 bytes (kept in chunks), and one whose MQTT
 * session record is too (a string of 6000 characters).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Preferences } from './xs/host-services.js'
import { eventually, startSandboxEnv, type SandboxEnv } from './xs/sandbox-env.js'
import { packetTypes } from './xs/packet-types.js'
import { XsDevice } from './xs/xs-device.js'

const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'
const VALUES = 'org.astarte-ts.test.DeviceValues'
const SETTINGS = 'org.astarte-ts.examples.Settings'
const PUBREC = 5
const PUBREL = 6

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

/** The MQTT session's records in `Preference` (`astms`): key (a record number) → bytes. */
function sessionRecords(preferences: Preferences): [string, Buffer][] {
  return [...(preferences.get('astms') ?? [])].map(([key, value]) => [
    key,
    Buffer.from((value as { base64: string }).base64, 'base64'),
  ])
}

/** Messages in the `stored` ring (`astq`/`q<id>`). */
const queued = (preferences: Preferences): number =>
  [...(preferences.get('astq')?.keys() ?? [])].filter((k) => k.startsWith('q')).length

/**
 * Starts the device in XS; `cutAt` arms a cut: the first chunk the device writes with that
 * packet type is lost with the connection, and `cut` resolves. Backoff is long: the test
 * reboots the engine before the device would reconnect.
 */
async function startCutting(preferences: Preferences, backoffMs: number) {
  let armed: number | undefined
  let hit = (): void => undefined
  const device = await XsDevice.start({
    preferences,
    open: { interfaces: env.compiled, backoff: { minMs: backoffMs, maxMs: backoffMs } },
    onDeviceBytes: (bytes) => {
      if (armed === undefined || !packetTypes(bytes).includes(armed)) return 'forward'
      armed = undefined
      hit()
      return 'drop'
    },
  })
  // an engine that ends first (XS aborted) fails the wait
  const cutAt = (type: number): Promise<void> => {
    armed = type
    return Promise.race([
      new Promise<void>((resolve) => (hit = resolve)),
      device.exited.then((error) => Promise.reject(error)),
    ])
  }
  return { device, cutAt }
}

async function valuesOf(deviceId: string, path: string): Promise<unknown[]> {
  const { data } = await env.api('GET', `devices/${deviceId}/interfaces/${VALUES}${path}`)
  return Array.isArray(data) ? data.map((r: { value: unknown }) => r.value) : []
}

/**
 * Restarts the device on `preferences` after a cut past PUBREC: it resumes its MQTT session and
 * sends `after` on `path`. Resolves with what Astarte then holds at `path`, once the ring and
 * the session emptied (chunks and all).
 */
async function sendAfterReboot(
  deviceId: string,
  preferences: Preferences,
  path: string,
  after: unknown,
  timestamp: { $date: number },
): Promise<unknown[]> {
  const second = await XsDevice.start({ preferences, open: { interfaces: env.compiled } })
  try {
    await second.call('connect')
    const connected = second.events.find((e) => e.name === 'connected')
    assert.equal(connected?.payload['sessionPresent'], true)
    await second.call('send', VALUES, path, after, { timestamp })
    const values = await eventually(
      'the value sent after the reboot',
      () => valuesOf(deviceId, path),
      (v) => v.includes(after),
    )
    await eventually(
      'the ring and the session emptied, chunks and all',
      async () => [queued(preferences), sessionRecords(preferences).length] as const,
      ([ring, records]) => ring === 0 && records === 0,
    )
    return values
  } finally {
    await second.stop()
  }
}

test('XS: a reboot past PUBREC of a unique send completes it; Astarte stores the value once', async () => {
  const { deviceId, preferences } = await env.provision()
  const first = await startCutting(preferences, 60_000)
  // the interface takes explicit timestamps
  const timestamp = { $date: Date.UTC(2026, 0, 2, 3, 4, 5) }
  try {
    await first.device.call('connect')
    // the broker takes the PUBLISH and answers PUBREC; our PUBREL is lost, then the power
    const cut = first.cutAt(PUBREL)
    await first.device.call('send', VALUES, '/xs/integer', 7, { timestamp })
    await cut
    assert.deepEqual(await valuesOf(deviceId, '/xs/integer'), [7])
    // the device keeps the row in its ring and the exchange in its session: its PUBLISH at QoS 2
    // with DUP set, released (PUBREC came)
    assert.equal(queued(preferences), 1)
    const records = sessionRecords(preferences).filter(([key]) => key !== '0')
    assert.deepEqual(
      records.map(([, bytes]) => (bytes[0] as number) & 0x0f),
      [0x0c],
    )
  } finally {
    await first.device.stop()
  }
  // the stored ring publishes 7 again: it adopts the resumed exchange instead of going out
  assert.deepEqual(
    await sendAfterReboot(deviceId, preferences, '/xs/integer', 8, timestamp),
    [7, 8],
  )
})

/**
 * A `unique` send of the string `big`, cut past PUBREC and completed after a reboot: Astarte
 * stores it once. Its ring message (base64 in JSON) is over NVS's 4000 bytes, kept in chunks;
 * its session record, the PUBLISH, too when `sessionChunked`.
 */
async function bigUniqueSend(big: string, sessionChunked: boolean): Promise<void> {
  const { deviceId, preferences } = await env.provision()
  const first = await startCutting(preferences, 60_000)
  const timestamp = { $date: Date.UTC(2026, 0, 2, 3, 4, 6) }
  // values other than the `stored` ring's next id (`n`)
  const kept = (domain: string) =>
    [...(preferences.get(domain) ?? [])].filter(([key]) => key !== 'n')
  // a record's head: a number counting its chunks (`head >> 1`)
  const heads = (domain: string) =>
    kept(domain).filter((entry): entry is [string, number] => typeof entry[1] === 'number')
  try {
    await first.device.call('connect')
    const cut = first.cutAt(PUBREL)
    await first.device.call('send', VALUES, '/xs/string', big, { timestamp })
    await cut
    assert.deepEqual(await valuesOf(deviceId, '/xs/string'), [big])
    // the ring's message: a head and its chunks
    const [ring, ...others] = heads('astq')
    assert.equal(others.length, 0)
    const [key, head] = ring as [string, number]
    assert.ok(head >> 1 > 1)
    assert.equal(kept('astq').length, 1 + (head >> 1))
    assert.ok(kept('astq').every(([k]) => k === key || k.startsWith(key)))
    // the session's publish record: chunks under a head only when over one value
    assert.equal(heads('astms').length, sessionChunked ? 1 : 0)
  } finally {
    await first.device.stop()
  }
  assert.deepEqual(await sendAfterReboot(deviceId, preferences, '/xs/string', 'after', timestamp), [
    big,
    'after',
  ])
}

test('XS: a unique send whose ring record is over one preference, rebooted past PUBREC: stored once', () =>
  // its PUBLISH not quite over one value
  bigUniqueSend('astarte-ts '.repeat(300), false))

test('XS: a unique send of 6000 characters, ring and session records in chunks, rebooted past PUBREC: stored once', () =>
  // a string decoded in one `fromCharCode.apply` of this size overflowed XS's stack
  bigUniqueSend('0123456789'.repeat(600), true))

test('XS: a reboot after PUBREC of a server property, before PUBREL: the app sees it once', async () => {
  const { deviceId, preferences } = await env.provision()
  const first = await startCutting(preferences, 60_000)
  const property = (value: number) =>
    env.api('PUT', `devices/${deviceId}/interfaces/${SETTINGS}/samplingPeriodMs`, value)
  const seen = (device: XsDevice) =>
    device.events
      .filter((e) => e.name === 'data' && e.payload['interfaceName'] === SETTINGS)
      .map((e) => e.payload['value'])
  try {
    await first.device.call('connect')
    // the device delivers the property, then its PUBREC is lost with the connection
    const cut = first.cutAt(PUBREC)
    assert.ok((await property(1500)).status < 300)
    await cut
    await first.device.waitFor((e) => e.name === 'data')
    assert.deepEqual(seen(first.device), [1500])
    // its packet id kept, awaiting PUBREL
    assert.deepEqual(
      sessionRecords(preferences).map(([key, bytes]) => [key, bytes.length]),
      [['0', 2]],
    )
  } finally {
    await first.device.stop()
  }

  const second = await XsDevice.start({ preferences, open: { interfaces: env.compiled } })
  try {
    await second.call('connect')
    // the broker sends the unacknowledged property again (DUP) on the resumed session, before
    // this newer value: once this one arrived, the old one was answered, not delivered
    assert.ok((await property(2500)).status < 300)
    await second.waitFor((e) => e.name === 'data')
    assert.deepEqual(seen(second), [2500])
    assert.equal(await second.call('getProperty', SETTINGS, '/samplingPeriodMs'), 2500)
    await eventually(
      'the incoming id released',
      async () => sessionRecords(preferences),
      (records) => records.length === 0,
    )
  } finally {
    await second.stop()
  }
})
