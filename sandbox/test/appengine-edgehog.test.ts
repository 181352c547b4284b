/**
 * AppEngine writes on the Edgehog interfaces an Edgehog backend (or a test, or the demo) sends
 * to a device: server-owned individual datastreams (Commands, LedBehavior), server-owned
 * properties whose parameter level holds a dotted interface name (config.Telemetry, set and
 * unset), server-owned objects (OTARequest, partial as the backend sends a Cancel;
 * ForwarderSessionRequest).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { deserialize, serialize, type Document } from 'bson'
import type { Sandbox } from '../src/index.js'
import {
  appengine,
  connectDevice,
  onlineDevice,
  provisionDevice,
  testSandbox,
  waitFor,
} from './helpers.js'

const EDGEHOG = new URL('../../interfaces/edgehog/', import.meta.url).pathname
const P = 'io.edgehog.devicemanager'
const COMMANDS = `${P}.Commands`
const LED = `${P}.LedBehavior`
const TELEMETRY = `${P}.config.Telemetry`
const OTA = `${P}.OTARequest`
const FORWARDER = `${P}.ForwarderSessionRequest`

/** Every Edgehog interface as `name:major:minor`, the introspection of a full Edgehog device. */
const INTROSPECTION = readdirSync(EDGEHOG)
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const json = JSON.parse(readFileSync(`${EDGEHOG}${f}`, 'utf8')) as Record<string, unknown>
    return `${String(json['interface_name'])}:${String(json['version_major'])}:${String(json['version_minor'])}`
  })
  .join(';')

type Online = Awaited<ReturnType<typeof onlineDevice>>

async function waitUntil(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await ok()); i++) {
    if (i === 300) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('AppEngine on the Edgehog interfaces (spec §3.8, §5)', () => {
  let sb: Sandbox
  before(async () => {
    sb = await testSandbox({ interfacesDir: EDGEHOG })
  })
  after(() => sb.stop())

  async function edgehogDevice(): Promise<Online> {
    const d = await onlineDevice(sb, INTROSPECTION)
    await d.conn.client.subscribeAsync(`${d.prefix}/#`, { qos: 2 })
    return d
  }

  const post = (d: Online, iface: string, path: string, data: unknown) =>
    appengine(sb, 'POST', `devices/${d.deviceId}/interfaces/${iface}${path}`, { data })

  /** What the device received on `iface`, as [path, qos, decoded payload or 'unset']. */
  const received = (d: Online, iface: string): [string, number, Document | 'unset'][] =>
    d.conn.received
      .filter((m) => m.topic.startsWith(`${d.prefix}/${iface}/`))
      .map((m) => [
        m.topic.slice(`${d.prefix}/${iface}`.length),
        m.qos,
        m.payload.length === 0 ? 'unset' : deserialize(m.payload),
      ])

  it('takes every Edgehog interface in a device introspection', async () => {
    const d = await edgehogDevice()
    const expected = INTROSPECTION.split(';')
      .map((e) => e.split(':')[0])
      .sort()
    const list = async () =>
      (await appengine(sb, 'GET', `devices/${d.deviceId}/interfaces`)).json as { data: string[] }
    await waitUntil(async () => (await list()).data.length === expected.length)
    assert.deepEqual((await list()).data, expected)
    await d.conn.client.endAsync()
  })

  it('sends a Commands request (unique: QoS 2) and refuses what is not a string', async () => {
    const d = await edgehogDevice()
    const res = await post(d, COMMANDS, '/request', 'Reboot')
    assert.deepEqual([res.status, res.json], [200, { data: 'Reboot' }])
    assert.equal((await post(d, COMMANDS, '/request', 7)).status, 422)
    assert.equal((await post(d, COMMANDS, '/other', 'Reboot')).status, 404)
    await waitFor(() => received(d, COMMANDS).length === 1)
    assert.deepEqual(received(d, COMMANDS), [['/request', 2, { v: 'Reboot' }]])
    await d.conn.client.endAsync()
  })

  it('sends LedBehavior on any led id (QoS 2); a path without the behavior level is 404', async () => {
    const d = await edgehogDevice()
    assert.equal((await post(d, LED, '/indicator/behavior', 'Blink60Seconds')).status, 200)
    assert.equal((await post(d, LED, '/status/behavior', 'SlowBlink60Seconds')).status, 200)
    assert.equal((await post(d, LED, '/indicator', 'Blink60Seconds')).status, 404)
    await waitFor(() => received(d, LED).length === 2)
    assert.deepEqual(received(d, LED).sort(), [
      ['/indicator/behavior', 2, { v: 'Blink60Seconds' }],
      ['/status/behavior', 2, { v: 'SlowBlink60Seconds' }],
    ])
    await d.conn.client.endAsync()
  })

  it('sets config.Telemetry on a dotted interface name, reads it back nested, unsets it', async () => {
    const d = await edgehogDevice()
    const base = `devices/${d.deviceId}/interfaces/${TELEMETRY}`
    const status = `${P}.SystemStatus`
    const put = (path: string, data: unknown) => appengine(sb, 'PUT', `${base}${path}`, { data })
    assert.equal((await put(`/request/${status}/enable`, true)).status, 200)
    // longinteger: a JSON number or a decimal string in (echoed), a decimal string out.
    assert.deepEqual((await put(`/request/${status}/periodSeconds`, 30)).json, { data: 30 })
    assert.deepEqual((await put(`/request/${status}/periodSeconds`, '45')).json, { data: '45' })
    assert.equal((await put(`/request/${status}/periodSeconds`, 'soon')).status, 422)
    assert.equal((await put(`/request/${status}/enable`, 'yes')).status, 422)
    const nested = await appengine(sb, 'GET', base)
    assert.deepEqual(nested.json, {
      data: { request: { [status]: { enable: true, periodSeconds: '45' } } },
    })
    const one = await appengine(sb, 'GET', `${base}/request/${status}/periodSeconds`)
    assert.deepEqual(one.json, { data: '45' })
    const unset = await appengine(sb, 'DELETE', `${base}/request/${status}/periodSeconds`)
    assert.equal(unset.status, 204)
    await waitFor(() => received(d, TELEMETRY).length === 4)
    const path = `/request/${status}`
    assert.deepEqual(
      received(d, TELEMETRY).map(([p, qos, v]) => [p, qos, typeof v === 'string' ? v : v['v']]),
      [
        [`${path}/enable`, 2, true],
        [`${path}/periodSeconds`, 2, 30],
        [`${path}/periodSeconds`, 2, 45],
        [`${path}/periodSeconds`, 2, 'unset'],
      ],
    )
    assert.deepEqual((await appengine(sb, 'GET', base)).json, {
      data: { request: { [status]: { enable: true } } },
    })
    await d.conn.client.endAsync()
  })

  it('resends a set config.Telemetry property after emptyCache', async () => {
    const d = await provisionDevice(sb)
    const first = await connectDevice(sb, d)
    await first.client.publishAsync(d.prefix, INTROSPECTION, { qos: 2 })
    const path = `/request/${P}.StorageUsage/enable`
    const base = `devices/${d.deviceId}/interfaces/${TELEMETRY}`
    assert.equal((await appengine(sb, 'PUT', `${base}${path}`, { data: true })).status, 200)
    await first.client.endAsync()
    const again = await connectDevice(sb, d, { clean: true })
    await again.client.subscribeAsync(`${d.prefix}/${TELEMETRY}/#`, { qos: 2 })
    await again.client.publishAsync(d.prefix, INTROSPECTION, { qos: 2 })
    await again.client.publishAsync(`${d.prefix}/control/emptyCache`, '1', { qos: 2 })
    const topic = `${d.prefix}/${TELEMETRY}${path}`
    await waitFor(() => again.received.some((m) => m.topic === topic))
    const resent = again.received.find((m) => m.topic === topic)
    assert.deepEqual([resent?.qos, deserialize(resent!.payload)], [2, { v: true }])
    await again.client.endAsync()
  })

  it('sends objects (unreliable: QoS 0): a partial OTARequest, a ForwarderSessionRequest', async () => {
    const d = await edgehogDevice()
    const uuid = '8b1b6e8e-51a4-4f3c-9d5b-0a3c1c0f5e21'
    const cancel = await post(d, OTA, '/request', { operation: 'Cancel', uuid })
    assert.deepEqual([cancel.status, cancel.json], [200, { data: { operation: 'Cancel', uuid } }])
    const session = { session_token: 'tok', port: 443, host: 'edgehog.example', secure: true }
    assert.equal((await post(d, FORWARDER, '/request', session)).status, 200)
    assert.equal((await post(d, OTA, '/request', { operation: 'Update', size: 1 })).status, 422)
    assert.equal((await post(d, FORWARDER, '/request', { port: 'https' })).status, 422)
    assert.equal((await post(d, OTA, '/request/operation', 'Update')).status, 404)
    await waitFor(() => received(d, OTA).length + received(d, FORWARDER).length === 2)
    assert.deepEqual(received(d, OTA), [['/request', 0, { v: { operation: 'Cancel', uuid } }]])
    assert.deepEqual(received(d, FORWARDER), [['/request', 0, { v: session }]])
    await d.conn.client.endAsync()
  })

  it('publishRaw delivers what AppEngine would refuse, as it is', async () => {
    const d = await edgehogDevice()
    assert.equal((await post(d, COMMANDS, '/request', 7)).status, 422)
    const wrongType = serialize({ v: 7 })
    await sb.publishRaw(d.deviceId, COMMANDS, '/request', wrongType, 2)
    const notBson = new Uint8Array([1, 2, 3])
    await sb.publishRaw(d.deviceId, LED, '/indicator/behavior', notBson, 2)
    const raw = (iface: string) =>
      d.conn.received.filter((m) => m.topic.startsWith(`${d.prefix}/${iface}/`))
    await waitFor(() => raw(COMMANDS).length + raw(LED).length === 2)
    assert.deepEqual(
      raw(COMMANDS).map((m) => [m.qos, [...m.payload]]),
      [[2, [...wrongType]]],
    )
    assert.deepEqual(
      raw(LED).map((m) => [m.qos, [...m.payload]]),
      [[2, [1, 2, 3]]],
    )
    await d.conn.client.endAsync()
  })
})
