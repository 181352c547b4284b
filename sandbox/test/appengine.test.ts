import assert from 'node:assert/strict'
import { deflateSync, inflateSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { Binary, deserialize, Double, Long, serialize } from 'bson'
import type { Sandbox } from '../src/index.js'
import {
  appengine,
  call,
  connectDevice,
  FIXTURES,
  onlineDevice,
  provisionDevice,
  testSandbox,
  waitFor,
} from './helpers.js'

const DD = 'org.astarte.test.DeviceDatastream'
const DP = 'org.astarte.test.DeviceProperties'
const DO = 'org.astarte.test.DeviceObject'
const SP = 'org.astarte.test.ServerProperties'
const SD = 'org.astarte.test.ServerDatastream'
const SO = 'org.astarte.test.ServerObject'

const bson = (doc: Record<string, unknown>) => Buffer.from(serialize(doc))
type Data<T> = { data: T }
type Online = Awaited<ReturnType<typeof onlineDevice>>

/** Publishes `doc` as BSON below the device prefix and waits for the broker's ack. */
async function send(
  d: Online,
  path: string,
  doc: Record<string, unknown> | Buffer,
  qos: 1 | 2 = 1,
): Promise<void> {
  const payload = Buffer.isBuffer(doc) ? doc : bson(doc)
  await d.conn.client.publishAsync(`${d.prefix}/${path}`, payload, { qos })
}

describe('ingestion and AppEngine (spec §3.8, §5)', () => {
  let sb: Sandbox
  before(async () => {
    sb = await testSandbox({ interfacesDir: FIXTURES })
  })
  after(() => sb.stop())

  const status = (method: string, path: string, data?: unknown) =>
    appengine(sb, method, path, data === undefined ? undefined : { data }).then((r) => r.status)

  /** Polls an AppEngine GET until it answers 200 and `until` accepts the data. */
  async function read<T>(path: string, until: (data: T) => boolean = () => true): Promise<T> {
    for (let i = 0; ; i++) {
      const res = await appengine(sb, 'GET', path)
      const done = res.status === 200 && until((res.json as Data<T>).data)
      if (done || i === 200) {
        assert.equal(res.status, 200, JSON.stringify(res.json))
        return (res.json as Data<T>).data
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  it('reports device status: connection, introspection with counters, last ip', async () => {
    const d = await onlineDevice(sb)
    const sample = { v: new Double(1.5) }
    await send(d, `${DD}/sensors/s/value`, sample)
    await read(`devices/${d.deviceId}/interfaces/${DD}/sensors/s/value`)
    const online = await read<Record<string, unknown>>(`devices/${d.deviceId}`)
    assert.equal(online['connected'], true)
    assert.equal(online['last_seen_ip'], '127.0.0.1')
    assert.equal(typeof online['last_connection'], 'string')
    const introspection = online['introspection'] as Record<string, unknown>
    const counted = { major: 1, minor: 0, exchanged_msgs: 1, exchanged_bytes: bson(sample).length }
    assert.deepEqual(introspection[DD], counted)
    const names = await read<string[]>(`devices/${d.deviceId}/interfaces`)
    assert.deepEqual(Object.keys(introspection).sort(), names)
    await d.conn.client.endAsync()
    type Status = Record<string, unknown>
    const offline = await read<Status>(`devices/${d.deviceId}`, (s) => s['connected'] === false)
    assert.equal(offline['connected'], false)
    assert.equal(typeof offline['last_disconnection'], 'string')
  })

  it('stores datastreams: history with since/to/limit, latest per path at the root', async () => {
    const d = await onlineDevice(sb)
    for (const v of [1.25, 2.5, 3.75]) await send(d, `${DD}/sensors/s/value`, { v: new Double(v) })
    await send(d, `${DD}/sensors/t/count`, { v: Long.fromString('45543543534') })
    const base = `devices/${d.deviceId}/interfaces/${DD}`
    await read(`${base}/sensors/t/count`)
    const values = async (query: string) =>
      (await read<{ value: number }[]>(`${base}/sensors/s/value${query}`)).map((s) => s.value)
    assert.deepEqual(await values(''), [1.25, 2.5, 3.75])
    assert.deepEqual(await values('?limit=2'), [2.5, 3.75])
    const future = new Date(Date.now() + 60_000).toISOString()
    assert.equal(await status('GET', `${base}/sensors/s/value?since=${future}`), 404)
    assert.deepEqual(await values(`?to=${future}&limit=1`), [3.75])
    type Latest = { value: unknown; timestamp: string; reception_timestamp: string }
    const root = await read<{ sensors: Record<string, Record<string, Latest>> }>(base)
    assert.equal(root.sensors['s']?.['value']?.value, 3.75)
    assert.equal(root.sensors['t']?.['count']?.value, '45543543534')
    assert.equal(typeof root.sensors['t']?.['count']?.reception_timestamp, 'string')
    await d.conn.client.endAsync()
  })

  it('uses t only for explicit_timestamp mappings', async () => {
    const d = await onlineDevice(sb)
    const t = new Date('2020-01-02T03:04:05.678Z')
    await send(d, `${DD}/stamped`, { v: 7, t })
    await send(d, `${DD}/sensors/x/value`, { v: new Double(1), t })
    const base = `devices/${d.deviceId}/interfaces/${DD}`
    const stamped = await read<{ timestamp: string }[]>(`${base}/stamped`)
    assert.equal(stamped[0]?.timestamp, t.toISOString())
    const plain = await read<{ timestamp: string }[]>(`${base}/sensors/x/value`)
    assert.notEqual(plain[0]?.timestamp, t.toISOString())
    await d.conn.client.endAsync()
  })

  it('stores device objects, read by prefix', async () => {
    const d = await onlineDevice(sb)
    const t = new Date('2021-05-05T00:00:00.000Z')
    await send(d, `${DO}/o1`, { v: { temp: new Double(21.5), hum: new Double(40) }, t })
    const path = `devices/${d.deviceId}/interfaces/${DO}/o1`
    const samples = await read<Record<string, unknown>[]>(path)
    assert.deepEqual(samples, [{ timestamp: t.toISOString(), temp: 21.5, hum: 40 }])
    await d.conn.client.endAsync()
  })

  it('stores device properties, unsets them, and applies the producer purge', async () => {
    const d = await onlineDevice(sb)
    const base = `devices/${d.deviceId}/interfaces/${DP}`
    for (const room of ['a', 'b', 'c']) {
      await send(d, `${DP}/rooms/${room}/name`, { v: `room ${room}` }, 2)
    }
    await send(d, `${DP}/fixed`, { v: 5 }, 2)
    assert.equal(await read(`${base}/rooms/a/name`), 'room a')
    await send(d, `${DP}/rooms/a/name`, Buffer.alloc(0), 2)
    const rooms = { b: { name: 'room b' }, c: { name: 'room c' } }
    assert.deepEqual(await read(base), { rooms, fixed: 5 })
    const text = `${DP}/rooms/c/name;${DP}/fixed`
    const purge = Buffer.concat([Buffer.from([0, 0, 0, text.length]), deflateSync(text)])
    await send(d, 'control/producer/properties', purge, 2)
    const purged = await read<unknown>(base, (p) => !JSON.stringify(p).includes('room b'))
    assert.deepEqual(purged, { rooms: { c: { name: 'room c' } }, fixed: 5 })
    assert.equal(await status('GET', `${base}/rooms/b/name`), 404)
    await d.conn.client.endAsync()
  })

  it('answers emptyCache with the purge list, then every set server property (QoS 2)', async () => {
    const d = await provisionDevice(sb)
    const introspection = `${SP}:1:0;${DD}:1:0`
    const first = await connectDevice(sb, d)
    await first.client.publishAsync(d.prefix, introspection, { qos: 2 })
    await first.client.endAsync()
    const base = `devices/${d.deviceId}/interfaces/${SP}`
    assert.equal(await status('PUT', `${base}/rooms/k/setpoint`, 21), 200)
    assert.equal(await status('PUT', `${base}/mode`, 'eco'), 200)
    assert.equal(await status('PUT', `${base}/big`, '9007199254740993'), 200)
    const conn = await connectDevice(sb, d, { clean: true })
    const filters = [`${d.prefix}/control/consumer/properties`, `${d.prefix}/${SP}/#`]
    await conn.client.subscribeAsync(filters, { qos: 2 })
    await conn.client.publishAsync(d.prefix, introspection, { qos: 2 })
    await conn.client.publishAsync(`${d.prefix}/control/emptyCache`, '1', { qos: 2 })
    await waitFor(() => conn.received.length === 4)
    const [purge, ...values] = conn.received
    assert.equal(purge?.topic, `${d.prefix}/control/consumer/properties`)
    const listed = inflateSync(purge!.payload.subarray(4)).toString('utf8')
    assert.equal(purge!.payload.readUInt32BE(0), Buffer.byteLength(listed))
    const expected = [`${SP}/big`, `${SP}/mode`, `${SP}/rooms/k/setpoint`]
    assert.deepEqual(listed.split(';').sort(), expected)
    assert.ok(conn.received.every((m) => m.qos === 2))
    const path = (topic: string) => topic.slice(d.prefix.length + 1 + SP.length)
    const value = (payload: Buffer): unknown => deserialize(payload, { useBigInt64: true })['v']
    const byPath = Object.fromEntries(values.map((m) => [path(m.topic), value(m.payload)]))
    assert.deepEqual(byPath, { '/rooms/k/setpoint': 21, '/mode': 'eco', '/big': 9007199254740993n })
    await conn.client.endAsync()
  })

  it('sends the purge list as bare text after plaintext capabilities (§3.7)', async () => {
    const d = await onlineDevice(sb)
    await status('PUT', `devices/${d.deviceId}/interfaces/${SP}/mode`, 'away')
    await send(d, 'capabilities', { purge_properties_compression_format: 'plaintext' }, 2)
    await d.conn.client.subscribeAsync(`${d.prefix}/control/consumer/properties`, { qos: 2 })
    await d.conn.client.publishAsync(`${d.prefix}/control/emptyCache`, '1', { qos: 2 })
    const isPurge = (m: { topic: string }) => m.topic.endsWith('/control/consumer/properties')
    await waitFor(() => d.conn.received.some(isPurge))
    assert.equal(d.conn.received.find(isPurge)?.payload.toString('utf8'), `${SP}/mode`)
    await d.conn.client.endAsync()
  })

  it('sets, reads and unsets server properties; the device receives them', async () => {
    const d = await onlineDevice(sb)
    await d.conn.client.subscribeAsync(`${d.prefix}/${SP}/#`, { qos: 2 })
    const base = `devices/${d.deviceId}/interfaces/${SP}`
    const put = await appengine(sb, 'PUT', `${base}/rooms/r1/setpoint`, { data: 19 })
    assert.deepEqual(put.json, { data: 19 })
    assert.equal(await read(`${base}/rooms/r1/setpoint`), 19)
    assert.deepEqual(await read(base), { rooms: { r1: { setpoint: 19 } } })
    assert.equal(await status('DELETE', `${base}/rooms/r1/setpoint`), 204)
    await waitFor(() => d.conn.received.length === 2)
    const [set, unset] = d.conn.received
    assert.equal(set?.qos, 2)
    assert.equal(deserialize(set!.payload)['v'], 19)
    assert.equal(unset?.payload.length, 0)
    assert.equal(await status('GET', `${base}/rooms/r1/setpoint`), 404)
    assert.deepEqual((await appengine(sb, 'GET', base)).json, { data: {} })
    assert.equal(await status('DELETE', `${base}/mode`), 405)
    await d.conn.client.endAsync()
  })

  it('sends server datastreams with QoS by reliability, objects on their prefix', async () => {
    const d = await onlineDevice(sb)
    await d.conn.client.subscribeAsync(`${d.prefix}/${SO}/#`, { qos: 2 })
    const base = `devices/${d.deviceId}/interfaces`
    assert.equal(await status('POST', `${base}/${SD}/unreliable`, 1), 200)
    assert.equal(await status('POST', `${base}/${SD}/guaranteed`, 2), 200)
    const hi = Buffer.from('hi')
    assert.equal(await status('POST', `${base}/${SD}/unique`, hi.toString('base64')), 200)
    assert.equal(await status('POST', `${base}/${SO}/k1`, { a: 3, b: 'x' }), 200)
    await waitFor(() => d.conn.received.length === 4)
    // Messages of different QoS travel independently: compare by topic.
    const got = d.conn.received
      .map((m) => [m.topic.slice(d.prefix.length + 1), m.qos, deserialize(m.payload)['v']])
      .sort()
    const expected = [
      [`${SD}/unreliable`, 0, 1],
      [`${SD}/guaranteed`, 1, 2],
      [`${SD}/unique`, 2, new Binary(hi)],
      [`${SO}/k1`, 1, { a: 3, b: 'x' }],
    ]
    assert.deepEqual(got, expected.sort())
    await d.conn.client.endAsync()
  })

  it('answers 503 to guaranteed data without a session; queues for an offline one', async () => {
    const d = await provisionDevice(sb)
    const conn = await connectDevice(sb, d)
    await conn.client.publishAsync(d.prefix, `${SD}:1:0`, { qos: 2 })
    await conn.client.endAsync()
    const base = `devices/${d.deviceId}/interfaces/${SD}`
    assert.equal(await status('POST', `${base}/guaranteed`, 1), 503)
    assert.equal(await status('POST', `${base}/unreliable`, 1), 200)
    const subscribed = await connectDevice(sb, d)
    await subscribed.client.subscribeAsync(`${d.prefix}/${SD}/#`, { qos: 2 })
    await subscribed.client.endAsync()
    assert.equal(await status('POST', `${base}/guaranteed`, 42), 200)
    const back = await connectDevice(sb, d)
    assert.equal(back.sessionPresent, true)
    await waitFor(() => back.received.length === 1)
    assert.equal(deserialize(back.received[0]!.payload)['v'], 42)
    await back.client.endAsync()
  })

  it('refuses: 405 device-owned, 422 wrong type, 404 unknown path or interface, 400', async () => {
    const d = await onlineDevice(sb)
    const base = `devices/${d.deviceId}/interfaces`
    const deviceOwned = await appengine(sb, 'POST', `${base}/${DD}/sensors/s/value`, { data: 1 })
    assert.equal(deviceOwned.status, 405)
    const detail = 'Cannot write to device owned resource'
    assert.deepEqual(deviceOwned.json, { errors: { detail } })
    assert.equal(await status('PUT', `${base}/${DP}/fixed`, 1), 405)
    assert.equal(await status('PUT', `${base}/${SP}/mode`, 12), 422)
    assert.equal(await status('PUT', `${base}/${SP}/nope`, 'x'), 404)
    assert.equal(await status('PUT', `${base}/org.astarte.test.Unknown/x`, 'x'), 404)
    const noData = await appengine(sb, 'PUT', `${base}/${SP}/mode`, { value: 'x' })
    assert.equal(noData.status, 400)
    const unknownDevice = Buffer.alloc(16, 9).toString('base64url')
    assert.equal(await status('GET', `devices/${unknownDevice}`), 404)
    await d.conn.client.endAsync()
  })

  it('checks the a_aea claim on every call', async () => {
    const d = await provisionDevice(sb)
    const url = `${sb.appengineUrl}/v1/${sb.realm}/devices/${d.deviceId}`
    const as = (claims: Record<string, unknown>) => ({ auth: `Bearer ${sb.signJwt(claims)}` })
    assert.equal((await call('GET', url)).status, 401)
    assert.equal((await call('GET', url, as({ a_pa: ['.*::.*'] }))).status, 403)
    const scoped = as({ a_aea: [`GET::devices/${d.deviceId}`] })
    assert.equal((await call('GET', url, scoped)).status, 200)
    assert.equal((await call('GET', `${url}/interfaces`, scoped)).status, 403)
  })
})
