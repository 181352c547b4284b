/**
 * End to end against the sandbox (real TLS broker, Pairing, AppEngine, SQLite files):
 * register → pair → connect → introspection → data both ways → read back with the right types.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  SdkError,
  parseInterface,
  valueToJson,
  type AstarteType,
  type AstarteValue,
  type Interface,
} from '@astarte-ts/sdk-core'
import type { Device, ServerMessage } from '../../src/index.js'
import {
  addedInterfacesDir,
  eventually,
  jsonSafe,
  openDevice,
  startEnv,
  testInterfacesDir,
  type E2eEnv,
} from './helpers.js'

const DEVICE_VALUES = 'org.astarte-ts.test.DeviceValues'
const SERVER_VALUES = 'org.astarte-ts.test.ServerValues'
const SERVER_OBJECT = 'org.astarte-ts.test.ServerObject'
const ENVIRONMENT = 'org.astarte-ts.examples.Environment'
const STATUS = 'org.astarte-ts.examples.DeviceStatus'
const SETTINGS = 'org.astarte-ts.examples.Settings'

async function loadIface(dir: string, name: string): Promise<Interface> {
  const parsed = parseInterface(JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')))
  if (!parsed.ok) throw new Error(`fixture ${name} is invalid`)
  return parsed.value
}

/** One sample per Astarte type, with values at the edges the server accepts. */
const samples: Readonly<Record<AstarteType, AstarteValue>> = {
  double: 21.5,
  integer: -2147483647,
  boolean: true,
  longinteger: 9007199254740993n,
  string: 'grüße ✓',
  binaryblob: new Uint8Array([0, 1, 2, 254, 255]),
  datetime: new Date('2024-02-29T12:34:56.789Z'),
  doublearray: [1.5, -0.25, 3],
  integerarray: [1, -2, 3],
  booleanarray: [true, false],
  longintegerarray: [1n, -9223372036854775807n],
  stringarray: ['a', ''],
  binaryblobarray: [new Uint8Array([1]), new Uint8Array([])],
  datetimearray: [new Date(0), new Date('2030-01-01T00:00:00.000Z')],
}

function nextMessage(
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

describe('Device against the sandbox', () => {
  let env: E2eEnv
  let device: Device
  let deviceValues: Interface

  before(async () => {
    env = await startEnv()
    deviceValues = await loadIface(testInterfacesDir, DEVICE_VALUES)
    device = await openDevice(env)
    await device.connect({ signal: AbortSignal.timeout(20_000) })
  })
  after(async () => {
    await device?.close()
    await env?.stop()
  })

  test('registers, pairs and connects; AppEngine sees it connected with its introspection', async () => {
    assert.equal(device.state, 'online')
    const { status, data } = await env.api('GET', `devices/${device.deviceId}`)
    assert.equal(status, 200)
    const info = data as {
      connected: boolean
      introspection: Record<string, { major: number; minor: number }>
    }
    assert.equal(info.connected, true)
    for (const iface of device.interfaces()) {
      assert.deepEqual(
        {
          major: info.introspection[iface.name]?.major,
          minor: info.introspection[iface.name]?.minor,
        },
        { major: iface.major, minor: iface.minor },
        iface.name,
      )
    }
  })

  test('individual datastreams of all 14 types with explicit timestamps read back with the right types', async () => {
    const timestamp = new Date('2025-05-05T05:05:05.555Z')
    for (const [type, value] of Object.entries(samples)) {
      await device.send(DEVICE_VALUES, `/probe/${type}`, value, { timestamp })
    }
    await eventually(
      'the stored queue to drain',
      () => device.metrics(),
      (m) => m.queued === 0 && m.inflight === 0,
    )
    for (const mapping of deviceValues.mappings) {
      const { status, data } = await env.api(
        'GET',
        `devices/${device.deviceId}/interfaces/${DEVICE_VALUES}/probe/${mapping.type}`,
      )
      assert.equal(status, 200, mapping.type)
      const rows = data as Array<{ value: unknown; timestamp: string }>
      assert.deepEqual(
        rows.at(-1)?.value,
        valueToJson(mapping.type, samples[mapping.type]),
        mapping.type,
      )
      assert.equal(
        new Date(rows.at(-1)?.timestamp ?? '').getTime(),
        timestamp.getTime(),
        mapping.type,
      )
    }
  })

  test('object datastream reads back as one object', async () => {
    const timestamp = new Date('2025-06-01T00:00:00.000Z')
    await device.sendObject(
      ENVIRONMENT,
      '/kitchen',
      { temperature: 22.25, humidity: 41.5, co2: 612 },
      { timestamp },
    )
    await eventually(
      'the object to drain',
      () => device.metrics(),
      (m) => m.queued === 0 && m.inflight === 0,
    )
    const { status, data } = await env.api(
      'GET',
      `devices/${device.deviceId}/interfaces/${ENVIRONMENT}/kitchen`,
    )
    assert.equal(status, 200)
    const last = (data as Array<Record<string, unknown>>).at(-1)
    assert.equal(last?.temperature, 22.25)
    assert.equal(last?.humidity, 41.5)
    assert.equal(last?.co2, 612)
    assert.equal(new Date(String(last?.timestamp)).getTime(), timestamp.getTime())
  })

  test('device properties set and unset read back; the cache follows', async () => {
    const boot = new Date('2025-01-02T03:04:05.006Z')
    await device.setProperty(STATUS, '/firmwareVersion', '2.1.0')
    await device.setProperty(STATUS, '/bootTime', boot)
    await device.setProperty(STATUS, '/sensors', ['a', 'b'])
    await device.setProperty(STATUS, '/lastError', 'disk full')
    await device.unsetProperty(STATUS, '/lastError')
    const props = await eventually(
      'properties in AppEngine',
      async () => (await env.api('GET', `devices/${device.deviceId}/interfaces/${STATUS}`)).data,
      (d) => typeof d === 'object' && d !== null && 'sensors' in d && !('lastError' in d),
    )
    assert.deepEqual(props, {
      firmwareVersion: '2.1.0',
      bootTime: valueToJson('datetime', boot),
      sensors: ['a', 'b'],
    })
    assert.equal(device.getProperty(STATUS, '/firmwareVersion'), '2.1.0')
    assert.deepEqual(device.getProperty(STATUS, '/bootTime'), boot)
    assert.equal(device.getProperty(STATUS, '/lastError'), undefined)
    const scalar = await env.api(
      'GET',
      `devices/${device.deviceId}/interfaces/${STATUS}/firmwareVersion`,
    )
    assert.equal(scalar.data, '2.1.0')
  })

  test('server-owned datastreams, objects and properties reach the device typed', async () => {
    const serverValues = await loadIface(testInterfacesDir, SERVER_VALUES)
    const inputs: Record<string, unknown> = {
      double: 2,
      integer: 7,
      longinteger: '123456789012345',
      string: 'on',
      binaryblob: 'AAEC',
      datetime: '2025-07-07T07:07:07.007Z',
      stringarray: ['x', 'y'],
    }
    const expected: Record<string, AstarteValue> = {
      double: 2,
      integer: 7,
      longinteger: 123456789012345n,
      string: 'on',
      binaryblob: new Uint8Array([0, 1, 2]),
      datetime: new Date('2025-07-07T07:07:07.007Z'),
      stringarray: ['x', 'y'],
    }
    for (const mapping of serverValues.mappings) {
      const path = mapping.endpoint
      const got = nextMessage(device, (m) => m.interfaceName === SERVER_VALUES && m.path === path)
      const res = await env.api(
        'POST',
        `devices/${device.deviceId}/interfaces/${SERVER_VALUES}${path}`,
        inputs[mapping.type],
      )
      assert.equal(res.status < 300, true, `${path}: ${res.status} ${JSON.stringify(res.data)}`)
      const m = await got
      assert.equal(m.type, 'individual')
      assert.deepEqual(m.type === 'individual' ? m.value : undefined, expected[mapping.type], path)
    }

    const obj = nextMessage(device, (m) => m.interfaceName === SERVER_OBJECT)
    const stream = device.messages({ signal: AbortSignal.timeout(10_000) })
    await env.api('POST', `devices/${device.deviceId}/interfaces/${SERVER_OBJECT}/slot1`, {
      level: 3,
      label: 'three',
    })
    assert.deepEqual(await obj, {
      type: 'object',
      interfaceName: SERVER_OBJECT,
      path: '/slot1',
      value: { level: 3, label: 'three' },
    })

    await env.api('PUT', `devices/${device.deviceId}/interfaces/${SETTINGS}/samplingPeriodMs`, 250)
    const viaIterator = await (async () => {
      for await (const m of stream) if (m.interfaceName === SETTINGS) return m
      return undefined
    })()
    assert.deepEqual(viaIterator, {
      type: 'individual',
      interfaceName: SETTINGS,
      path: '/samplingPeriodMs',
      value: 250,
    })
    assert.equal(device.getProperty(SETTINGS, '/samplingPeriodMs'), 250)

    const unset = nextMessage(device, (m) => m.interfaceName === SETTINGS && m.type === 'unset')
    await env.api('DELETE', `devices/${device.deviceId}/interfaces/${SETTINGS}/samplingPeriodMs`)
    assert.deepEqual(await unset, {
      type: 'unset',
      interfaceName: SETTINGS,
      path: '/samplingPeriodMs',
    })
    assert.equal(device.getProperty(SETTINGS, '/samplingPeriodMs'), undefined)
  })

  test('bad type or path is rejected with local.invalid_value before anything is queued', async () => {
    const before = device.metrics()
    const cases: Array<[string, string, AstarteValue]> = [
      [DEVICE_VALUES, '/probe/double', 'not a number'],
      [DEVICE_VALUES, '/probe/integer', 2 ** 31],
      [DEVICE_VALUES, '/probe/nope', 1],
      [DEVICE_VALUES, '/probe/double', Number.NaN],
    ]
    for (const [iface, path, value] of cases) {
      await assert.rejects(
        device.send(iface, path, value, { timestamp: new Date() }),
        (e: unknown) => {
          assert.ok(e instanceof SdkError)
          assert.equal(e.code, 'local.invalid_value')
          assert.ok(e.issues.length > 0)
          assert.match(e.message, /^couldn't send /)
          return true
        },
      )
    }
    await assert.rejects(device.send(DEVICE_VALUES, '/probe/double', 1), /timestamp/)
    await assert.rejects(device.send(SERVER_VALUES, '/double', 1), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.issues[0]?.code, 'write_on_server_owned_interface')
      return true
    })
    await assert.rejects(device.setProperty(STATUS, '/firmwareVersion', 3), SdkError)
    await assert.rejects(device.unsetProperty(STATUS, '/firmwareVersion'), SdkError)
    const afterwards = device.metrics()
    assert.deepEqual(
      { queued: afterwards.queued, sent: afterwards.sent },
      { queued: before.queued, sent: before.sent },
    )
  })

  test('a discard send and its ack skip the store transaction: settled before any macrotask', async () => {
    // QoS 0 (`unreliable`, `discard`): MQTT.js reports the write synchronously, so without a
    // group commit (a setImmediate, then a transaction) the whole send is promise jobs
    let macrotask = false
    setImmediate(() => (macrotask = true))
    const sent = device.metrics().sent
    await device.send('org.astarte-ts.test.Volatile', '/note', 'no transaction')
    assert.equal(macrotask, false)
    assert.equal(device.metrics().sent, sent + 1)
    assert.equal(device.metrics().queued, 0)
  })

  test('add and remove an interface at run time', async () => {
    assert.equal(
      device.interfaces().some((i) => i.name === 'org.astarte-ts.test.Extra'),
      false,
    )
    const extra = join(addedInterfacesDir, 'org.astarte-ts.test.Extra.json')
    await device.addInterface(extra)
    await eventually(
      'Extra in the introspection',
      async () =>
        (await env.api('GET', `devices/${device.deviceId}`)).data as { introspection: object },
      (d) => 'org.astarte-ts.test.Extra' in d.introspection,
    )
    await device.send('org.astarte-ts.test.Extra', '/value', 42)
    const rows = await eventually(
      'the value sent on the added interface',
      async () =>
        (
          await env.api(
            'GET',
            `devices/${device.deviceId}/interfaces/org.astarte-ts.test.Extra/value`,
          )
        ).data,
      (d) => Array.isArray(d) && d.length > 0,
    )
    assert.equal((rows as Array<{ value: unknown }>)[0]?.value, 42)
    await device.removeInterface('org.astarte-ts.test.Extra')
    await eventually(
      'Extra out of the introspection',
      async () =>
        (await env.api('GET', `devices/${device.deviceId}`)).data as { introspection: object },
      (d) => !('org.astarte-ts.test.Extra' in d.introspection),
    )
    await assert.rejects(device.send('org.astarte-ts.test.Extra', '/value', 1), SdkError)
    assert.equal(device.state, 'online')
  })

  test('connect() while a disconnect is under way connects again once it finished', async () => {
    const stopping = device.disconnect()
    assert.equal(device.state, 'stopping')
    const connecting = device.connect({ signal: AbortSignal.timeout(20_000) })
    await stopping
    await connecting
    assert.equal(device.state, 'online')
    await device.send('org.astarte-ts.test.Volatile', '/note', 'after the reconnect')
  })

  test('metrics count what went through', () => {
    const m = device.metrics()
    assert.ok(m.sent > 0 && m.acked > 0, JSON.stringify(m, jsonSafe))
    assert.equal(m.queued, 0)
  })
})
