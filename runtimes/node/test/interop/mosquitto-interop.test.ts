/**
 * Interop: the end-to-end scenario on a second, independent broker. Mosquitto plays VerneMQ
 * (`require_certificate`, `use_identity_as_username`, pattern ACL on the CN, spec §3.1) and the
 * sandbox only does Pairing. Mosquitto has no Astarte behind it, so an observer subscribed to the
 * device's topics checks what the device published (decoded with js-bson and node:zlib, not with
 * the SDK), and the same identity publishes the server-owned data.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import { deserialize, serialize } from 'bson'
import type { MqttClient } from 'mqtt'
import { Device, type ServerMessage } from '../../src/index.js'
import { tempDir } from '../helpers/tmp.js'
import { RESILIENCE, deviceOptions, interfacesDir } from '../faults/sandbox-env.js'
import { startMosquittoEnv } from './mosquitto-env.js'

const examplesDir = new URL('../../../../interfaces/examples', import.meta.url).pathname
const TELEMETRY = 'org.astarte-ts.examples.Telemetry'
const ENVIRONMENT = 'org.astarte-ts.examples.Environment'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'
const SETTINGS = 'org.astarte-ts.examples.Settings'
const COMMANDS = 'org.astarte-ts.examples.Commands'

interface Captured {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: number
}

/** `name:major:minor` of every interface file of `dirs` (spec §3.3). */
function introspectionEntries(dirs: readonly string[]): string[] {
  return dirs
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(dir, f)),
    )
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    .map((i) => `${String(i.interface_name)}:${Number(i.version_major)}:${Number(i.version_minor)}`)
    .sort()
}

/** spec §3.6: 4-byte big-endian length of the text, then a zlib stream of it. */
function purgeText(payload: Buffer): string {
  const text = inflateSync(payload.subarray(4))
  assert.equal(payload.readUInt32BE(0), text.length, 'purge header = inflated length')
  return text.toString('utf8')
}

const bsonOf = (payload: Buffer): Record<string, unknown> =>
  deserialize(payload, { useBigInt64: true })

function nextData(
  device: Device,
  match: (m: ServerMessage) => boolean,
  ms = 10_000,
): Promise<ServerMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error('timed out waiting for server data'))
    }, ms)
    const onData = (m: ServerMessage): void => {
      if (!match(m)) return
      clearTimeout(timer)
      off()
      resolve(m)
    }
    const off = (): void => void device.off('data', onData)
    device.on('data', onData)
  })
}

test('Device against Mosquitto, with Pairing from the sandbox', async (t) => {
  const env = await startMosquittoEnv(t)
  const options = deviceOptions(env.pairing, tempDir(t, 'astarte-interop-store-'))
  const device = await Device.open({ ...options, interfaces: [interfacesDir, examplesDir] })
  t.after(() => device.close())
  const P = `${options.realm}/${options.deviceId}`

  const captured: Captured[] = []
  const waiters = new Set<() => void>()
  const watch = async (): Promise<MqttClient> => {
    const client = await env.observer()
    client.on('message', (topic, payload, packet) => {
      captured.push({ topic, payload, qos: packet.qos })
      for (const wake of waiters) wake()
    })
    await client.subscribeAsync([P, `${P}/#`], { qos: 2 })
    return client
  }
  let observer = await watch()
  /** The first message on `topic` captured at or after index `from`. */
  const published = (topic: string, from = 0, ms = 10_000): Promise<Captured & { index: number }> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        const seen = captured.map((c) => c.topic).join(', ')
        reject(new Error(`nothing published on ${topic}; saw ${seen}`))
      }, ms)
      const check = (): void => {
        const index = captured.findIndex((c, i) => i >= from && c.topic === topic)
        if (index < 0) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve({ ...(captured[index] as Captured), index })
      }
      waiters.add(check)
      check()
    })

  /** Resolves with `sessionPresent` of the next CONNACK. */
  const nextSession = (): Promise<boolean> =>
    new Promise((resolve) => device.once('connected', (e) => resolve(e.sessionPresent === true)))
  /** Publishes as Astarte would: BSON `{v}`, or an empty payload to unset. */
  const serverPublish = (path: string, v: unknown, qos: 1 | 2): Promise<unknown> => {
    const payload = v === undefined ? Buffer.alloc(0) : Buffer.from(serialize({ v }))
    return observer.publishAsync(`${P}/${path}`, payload, { qos })
  }

  await t.test('connects over mutual TLS and runs the full sync in order (spec §3.4)', async () => {
    const session = nextSession()
    await device.connect({ signal: AbortSignal.timeout(30_000) })
    assert.equal(await session, false, 'a first connection has no session')
    const introspection = await published(P)
    const emptyCache = await published(`${P}/control/emptyCache`)
    const purge = await published(`${P}/control/producer/properties`)
    assert.ok(introspection.index < emptyCache.index, 'introspection before emptyCache')
    assert.ok(emptyCache.index < purge.index, 'emptyCache before the producer purge')
    const entries = introspection.payload.toString('utf8').split(';').sort()
    assert.deepEqual(entries, introspectionEntries([interfacesDir, examplesDir]))
    assert.equal(emptyCache.payload.toString('utf8'), '1')
    assert.equal(purgeText(purge.payload), '', 'no device property set yet')
    assert.deepEqual([introspection.qos, emptyCache.qos, purge.qos], [2, 2, 2])
  })

  await t.test(
    'individual and object datastreams: topic, QoS by reliability, BSON payload (spec §2, §3.5)',
    async () => {
      const timestamp = new Date('2025-05-05T05:05:05.555Z')
      await device.send(TELEMETRY, '/s1/temperature', 21.5, { timestamp })
      await device.send(TELEMETRY, '/s1/uptimeSeconds', 9007199254740993n, { timestamp })
      const room = { temperature: 22.25, humidity: 41.5, co2: 612 }
      await device.sendObject(ENVIRONMENT, '/kitchen', room, { timestamp })
      await device.send(RESILIENCE, '/interop/unique', 7)

      const temperature = await published(`${P}/${TELEMETRY}/s1/temperature`)
      assert.equal(temperature.qos, 1, 'guaranteed')
      assert.deepEqual(bsonOf(temperature.payload), { v: 21.5, t: timestamp })
      const uptime = await published(`${P}/${TELEMETRY}/s1/uptimeSeconds`)
      assert.deepEqual(bsonOf(uptime.payload), { v: 9007199254740993n, t: timestamp })
      const kitchen = await published(`${P}/${ENVIRONMENT}/kitchen`)
      assert.equal(kitchen.qos, 2, 'unique')
      assert.deepEqual(bsonOf(kitchen.payload), { v: room, t: timestamp })
      const unique = await published(`${P}/${RESILIENCE}/interop/unique`)
      assert.equal(unique.qos, 2)
      assert.deepEqual(bsonOf(unique.payload), { v: 7 })
    },
  )

  await t.test(
    'device properties set and unset: QoS 2, unset is an empty payload (spec §3.8)',
    async () => {
      const mark = captured.length
      await device.setProperty(STATUS, '/firmwareVersion', '2.1.0')
      await device.setProperty(STATUS, '/lastError', 'disk full')
      await device.unsetProperty(STATUS, '/lastError')
      const firmware = await published(`${P}/${STATUS}/firmwareVersion`, mark)
      assert.deepEqual([firmware.qos, bsonOf(firmware.payload)], [2, { v: '2.1.0' }])
      const set = await published(`${P}/${STATUS}/lastError`, mark)
      assert.deepEqual(bsonOf(set.payload), { v: 'disk full' })
      const unset = await published(`${P}/${STATUS}/lastError`, set.index + 1)
      assert.deepEqual([unset.qos, unset.payload.length], [2, 0])
    },
  )

  await t.test('server-owned datastreams and properties reach the device typed', async () => {
    const blink = nextData(device, (m) => m.interfaceName === COMMANDS)
    await serverPublish(`${COMMANDS}/blink`, 3, 1)
    const expected = { type: 'individual', interfaceName: COMMANDS, path: '/blink', value: 3 }
    assert.deepEqual(await blink, expected)

    const label = nextData(device, (m) => m.interfaceName === SETTINGS)
    await serverPublish(`${SETTINGS}/label`, 'kitchen', 2)
    const set = { type: 'individual', interfaceName: SETTINGS, path: '/label', value: 'kitchen' }
    assert.deepEqual(await label, set)
    assert.equal(device.getProperty(SETTINGS, '/label'), 'kitchen')

    const unset = nextData(device, (m) => m.interfaceName === SETTINGS)
    await serverPublish(`${SETTINGS}/label`, undefined, 2)
    assert.deepEqual(await unset, { type: 'unset', interfaceName: SETTINGS, path: '/label' })
    assert.equal(device.getProperty(SETTINGS, '/label'), undefined)
  })

  await t.test(
    'reconnect resumes the persistent session: data queued by Mosquitto arrives, no new sync',
    async () => {
      await device.disconnect()
      const mark = captured.length
      await serverPublish(`${COMMANDS}/message`, 'while offline', 1)
      const queued = nextData(device, (m) => m.interfaceName === COMMANDS)
      const session = nextSession()
      await device.connect({ signal: AbortSignal.timeout(30_000) })
      assert.equal(await session, true, 'Mosquitto kept the session (clean: false)')
      const message = { type: 'individual', interfaceName: COMMANDS, path: '/message' }
      assert.deepEqual(await queued, { ...message, value: 'while offline' })
      await device.send(RESILIENCE, '/interop/unique', 8)
      await published(`${P}/${RESILIENCE}/interop/unique`, mark)
      const control = (c: Captured): boolean => c.topic === P || c.topic.startsWith(`${P}/control/`)
      const controls = captured.slice(mark).filter(control)
      assert.deepEqual(
        controls.map((c) => c.topic),
        [],
        'no introspection or control message',
      )
    },
  )

  await t.test(
    'a broker that lost the session gets a full sync with the device properties',
    async () => {
      await device.disconnect()
      // Mosquitto restarted without its persistence file: the device's session is gone
      await env.broker.stop()
      rmSync(join(env.broker.dir, 'data'), { recursive: true, force: true })
      mkdirSync(join(env.broker.dir, 'data'))
      await env.broker.restart()
      observer = await watch()
      const mark = captured.length
      const session = nextSession()
      await device.connect({ signal: AbortSignal.timeout(30_000) })
      assert.equal(await session, false)
      const introspection = await published(P, mark)
      const emptyCache = await published(`${P}/control/emptyCache`, mark)
      const firmware = await published(`${P}/${STATUS}/firmwareVersion`, mark)
      const purge = await published(`${P}/control/producer/properties`, mark)
      // spec §3.4: introspection, emptyCache, every set device property, then the purge list
      const order = [introspection, emptyCache, firmware, purge].map((c) => c.index)
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
      )
      assert.deepEqual(bsonOf(firmware.payload), { v: '2.1.0' })
      assert.equal(purgeText(purge.payload), `${STATUS}/firmwareVersion`, 'lastError was unset')
    },
  )
})
