/**
 * End to end against the sandbox: full sync with emptyCache and both purge directions, bad
 * server data (wrong-typed by the realm, malformed BSON) reported as `dataError` while the
 * device keeps running, and stored data surviving a process restart.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  encodePayload,
  parseInterface,
  validateIndividual,
  type MqttTransport,
  type MqttTransportEvents,
} from '@astarte-ts/sdk-core'
import { MqttJsTransport, openSqliteStore, type SqliteStore } from '../../src/index.js'
import {
  eventually,
  exampleInterfacesDir,
  here,
  openDevice,
  quiet,
  startEnv,
  testInterfacesDir,
  type E2eEnv,
} from './helpers.js'

const STATUS = 'org.astarte-ts.examples.DeviceStatus'
const SETTINGS = 'org.astarte-ts.examples.Settings'
const SKEWED = 'org.astarte-ts.test.Skewed'
const SERVER_VALUES = 'org.astarte-ts.test.ServerValues'

/** A real MQTT.js transport that also lets the test deliver arbitrary bytes as if received. */
class InjectingTransport implements MqttTransport {
  readonly inner = new MqttJsTransport({ logger: quiet })
  events: MqttTransportEvents | undefined
  connect: MqttTransport['connect'] = (options, events) => {
    this.events = events
    return this.inner.connect(options, events)
  }
  subscribe: MqttTransport['subscribe'] = (f, q) => this.inner.subscribe(f, q)
  unsubscribe: MqttTransport['unsubscribe'] = (f) => this.inner.unsubscribe(f)
  publish: MqttTransport['publish'] = (t, p, q, id) => this.inner.publish(t, p, q, id)
  end: MqttTransport['end'] = () => this.inner.end()
}

describe('Device sync and resilience against the sandbox', () => {
  let env: E2eEnv
  before(async () => {
    env = await startEnv()
  })
  after(async () => {
    await env?.stop()
  })

  async function seededStore(dir: string, path: string): Promise<SqliteStore> {
    const settings = parseInterface(
      JSON.parse(await readFile(join(exampleInterfacesDir, `${SETTINGS}.json`), 'utf8')),
    )
    assert.ok(settings.ok)
    const stale = validateIndividual(settings.value, path, true)
    assert.ok(stale.ok)
    const store = openSqliteStore({ path: join(dir, 'seeded.sqlite') })
    store.properties.set({
      interfaceName: SETTINGS,
      major: 1,
      path,
      ownership: 'server',
      payload: encodePayload(stale.value),
    })
    return store
  }

  test('first sync: the consumer purge list drops server properties the server does not have', async () => {
    const storeDir = await env.storeDir()
    // a store that wrongly believes a server property is set: the (empty) consumer purge drops it
    const store = await seededStore(storeDir, '/sensors/s9/enabled')
    const device = await openDevice(env, { storeDir, ports: { store } })
    const unsets: string[] = []
    device.on('data', (m) => m.type === 'unset' && unsets.push(m.path))
    try {
      await device.connect({ signal: AbortSignal.timeout(20_000) })
      await eventually(
        'the stale property purged',
        () => device.getProperty(SETTINGS, '/sensors/s9/enabled'),
        (v) => v === undefined,
      )
      assert.deepEqual(unsets, ['/sensors/s9/enabled'])
    } finally {
      await device.close()
      store.close()
    }
  })

  test('first sync: emptyCache brings the server properties set while the device was offline', async () => {
    const deviceId = env.newDeviceId()
    const device = await openDevice(env, { deviceId })
    try {
      const put = await env.api(
        'PUT',
        `devices/${deviceId}/interfaces/${SETTINGS}/label`,
        'kitchen',
      )
      assert.ok(put.status < 300, `${put.status}`)
      await device.connect({ signal: AbortSignal.timeout(20_000) })
      await eventually(
        'the server property from emptyCache',
        () => device.getProperty(SETTINGS, '/label'),
        (v) => v === 'kitchen',
      )
    } finally {
      await device.close()
    }
  })

  test('a fresh store for a known device: full sync again, its empty producer purge unsets device properties', async () => {
    const storeA = await env.storeDir()
    const first = await openDevice(env, { storeDir: storeA })
    const deviceId = first.deviceId
    await first.connect({ signal: AbortSignal.timeout(20_000) })
    await first.setProperty(STATUS, '/firmwareVersion', '1.0.0')
    await eventually(
      'the device property on the server',
      async () => (await env.api('GET', `devices/${deviceId}/interfaces/${STATUS}`)).data,
      (d) => typeof d === 'object' && d !== null && 'firmwareVersion' in d,
    )
    await first.close()
    const secret = (await readFile(join(storeA, deviceId, 'credentials-secret'), 'utf8')).trim()
    const second = await openDevice(env, {
      deviceId,
      storeDir: await env.storeDir(),
      credentialsSecret: secret,
    })
    try {
      await second.connect({ signal: AbortSignal.timeout(20_000) })
      await eventually(
        'the device property purged on the server',
        async () => (await env.api('GET', `devices/${deviceId}/interfaces/${STATUS}`)).data,
        (d) =>
          d === undefined || (typeof d === 'object' && d !== null && !('firmwareVersion' in d)),
      )
    } finally {
      await second.close()
    }
  })

  test('resync on a present broker session: the consumer purge listing set properties drops stale ones', async () => {
    const storeA = await env.storeDir()
    const first = await openDevice(env, { storeDir: storeA })
    const deviceId = first.deviceId
    await first.connect({ signal: AbortSignal.timeout(20_000) })
    await env.api('PUT', `devices/${deviceId}/interfaces/${SETTINGS}/label`, 'attic')
    await first.close()
    const credentialsSecret = (
      await readFile(join(storeA, deviceId, 'credentials-secret'), 'utf8')
    ).trim()
    const storeDir = await env.storeDir()
    const store = await seededStore(storeDir, '/sensors/s8/enabled')
    const second = await openDevice(env, {
      deviceId,
      storeDir,
      credentialsSecret,
      ports: { store },
    })
    try {
      await second.connect({ signal: AbortSignal.timeout(20_000) })
      await eventually(
        'the stale property purged',
        () => second.getProperty(SETTINGS, '/sensors/s8/enabled'),
        (v) => v === undefined,
      )
      await eventually(
        'the set property kept',
        () => second.getProperty(SETTINGS, '/label'),
        (v) => v === 'attic',
      )
    } finally {
      await second.close()
      store.close()
    }
  })

  test('wrong-typed and malformed server data become dataError events; the device keeps running', async () => {
    const files = (await readdir(testInterfacesDir))
      .filter((f) => f.endsWith('.json') && !f.startsWith(SKEWED))
      .map((f) => join(testInterfacesDir, f))
    const transport = new InjectingTransport()
    const device = await openDevice(env, {
      interfaces: [...files, join(here, 'skewed', `${SKEWED}.json`), exampleInterfacesDir],
      ports: { transport },
    })
    try {
      await device.connect({ signal: AbortSignal.timeout(20_000) })
      const errors: Array<{ interfaceName: string; path: string; codes: string[] }> = []
      device.on('dataError', (e) =>
        errors.push({
          interfaceName: e.interfaceName,
          path: e.path,
          codes: e.issues.map((i) => i.code),
        }),
      )

      // the realm's Skewed interface says string, the device's copy says integer
      const res = await env.api(
        'POST',
        `devices/${device.deviceId}/interfaces/${SKEWED}/count`,
        'many',
      )
      assert.ok(res.status < 300, `${res.status}`)
      await eventually(
        'a dataError for the wrong type',
        () => errors.length,
        (n) => n >= 1,
      )
      assert.equal(errors[0]?.interfaceName, SKEWED)
      assert.equal(errors[0]?.path, '/count')

      const prefix = `${env.sandbox.realm}/${device.deviceId}`
      transport.events?.message(
        `${prefix}/${SERVER_VALUES}/double`,
        new Uint8Array([5, 0, 0, 0, 7]),
        1,
      )
      await eventually(
        'a dataError for malformed bson',
        () => errors.length,
        (n) => n >= 2,
      )
      assert.deepEqual(
        { interfaceName: errors[1]?.interfaceName, path: errors[1]?.path },
        { interfaceName: SERVER_VALUES, path: '/double' },
      )

      const ok = new Promise((resolve) =>
        device.on('data', (m) => m.interfaceName === SERVER_VALUES && resolve(m)),
      )
      await env.api('POST', `devices/${device.deviceId}/interfaces/${SERVER_VALUES}/integer`, 5)
      await ok
      assert.equal(device.state, 'online')
    } finally {
      await device.close()
    }
  })

  test('offline: volatile data waits in memory and goes out after reconnecting; discard data is refused', async () => {
    const device = await openDevice(env)
    try {
      await device.connect({ signal: AbortSignal.timeout(20_000) })
      await device.disconnect()
      for (let i = 1; i <= 3; i++) await device.send('org.astarte-ts.test.Volatile', '/count', i)
      await assert.rejects(device.send('org.astarte-ts.test.Volatile', '/note', 'lost'), {
        code: 'local.offline_discarded',
      })
      assert.equal(device.metrics().queued, 3)
      await device.connect({ signal: AbortSignal.timeout(20_000) })
      const rows = await eventually(
        'the volatile values in AppEngine',
        async () =>
          (
            await env.api(
              'GET',
              `devices/${device.deviceId}/interfaces/org.astarte-ts.test.Volatile/count`,
            )
          ).data,
        (d) => Array.isArray(d) && d.length === 3,
      )
      assert.deepEqual(
        (rows as Array<{ value: number }>).map((r) => r.value),
        [1, 2, 3],
      )
      await device.send('org.astarte-ts.test.Volatile', '/note', 'online now')
      assert.ok(device.metrics().dropped >= 1)
    } finally {
      await device.close()
    }
  })

  test('a wrong credentials secret is a terminal, typed error: connect rejects, no retry storm; the saved one stays', async () => {
    const storeDir = await env.storeDir()
    const first = await openDevice(env, { storeDir })
    const deviceId = first.deviceId
    await first.close()
    const savedFile = join(storeDir, deviceId, 'credentials-secret')
    const good = await readFile(savedFile, 'utf8')
    const device = await openDevice(env, {
      storeDir,
      deviceId,
      credentialsSecret: Buffer.alloc(32, 1).toString('base64'),
    })
    const errors: string[] = []
    device.on('error', (e) => errors.push(e.code))
    try {
      await assert.rejects(device.connect({ signal: AbortSignal.timeout(20_000) }), {
        code: 'remote.pairing_forbidden',
      })
      assert.deepEqual(errors, ['remote.pairing_forbidden'])
      assert.equal(device.state, 'error')
      assert.ok(!JSON.stringify(device.metrics().lastError ?? {}).includes('AQEB'))
    } finally {
      await device.close()
    }
    // a mistyped secret never replaced the one that works: the device opens again without it
    assert.equal(await readFile(savedFile, 'utf8'), good)
    const again = await openDevice(env, { storeDir, deviceId, pairingJwt: undefined })
    try {
      await again.connect({ signal: AbortSignal.timeout(20_000) })
    } finally {
      await again.close()
    }
    // the right secret given to a fresh store is saved, 0600, once the Pairing API took it
    const freshDir = await env.storeDir()
    const fresh = await openDevice(env, {
      storeDir: freshDir,
      deviceId,
      credentialsSecret: good.trim(),
      pairingJwt: undefined,
    })
    try {
      await fresh.connect({ signal: AbortSignal.timeout(20_000) })
    } finally {
      await fresh.close()
    }
    const freshFile = join(freshDir, deviceId, 'credentials-secret')
    assert.equal((await readFile(freshFile, 'utf8')).trim(), good.trim())
    assert.equal((await stat(freshFile)).mode & 0o777, 0o600)
  })

  test('stored data sent while offline is on disk and delivered after a restart', async () => {
    const storeDir = await env.storeDir()
    const first = await openDevice(env, { storeDir })
    const deviceId = first.deviceId
    await first.connect({ signal: AbortSignal.timeout(20_000) })
    await first.disconnect()
    const timestamp = new Date('2025-03-03T03:03:03.003Z')
    for (let i = 0; i < 20; i++) {
      await first.send('org.astarte-ts.test.DeviceValues', '/offline/integer', i, { timestamp })
    }
    assert.equal(first.metrics().queued, 20)
    await first.close()

    const second = await openDevice(env, { storeDir, deviceId })
    try {
      assert.equal(second.metrics().queued, 20)
      await second.connect({ signal: AbortSignal.timeout(20_000) })
      const rows = await eventually(
        'the 20 values in AppEngine',
        async () =>
          (
            await env.api(
              'GET',
              `devices/${deviceId}/interfaces/org.astarte-ts.test.DeviceValues/offline/integer`,
            )
          ).data,
        (d) => Array.isArray(d) && d.length === 20,
      )
      assert.deepEqual(
        (rows as Array<{ value: number }>).map((r) => r.value),
        Array.from({ length: 20 }, (_, i) => i),
      )
      await eventually(
        'the queue to drain',
        () => second.metrics(),
        (m) => m.queued === 0,
      )
    } finally {
      await second.close()
    }
  })
})
