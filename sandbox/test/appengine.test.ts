import assert from 'node:assert/strict'
import { deflateSync, inflateSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { Binary, deserialize, Double, Long, serialize } from 'bson'
import type { Sandbox } from '../src/index.js'
import { appengine, call, connectDevice, FIXTURES, onlineDevice, provisionDevice, testSandbox, waitFor } from './helpers.js'

const DD = 'org.astarte.test.DeviceDatastream'
const DP = 'org.astarte.test.DeviceProperties'
const DO = 'org.astarte.test.DeviceObject'
const SP = 'org.astarte.test.ServerProperties'
const SD = 'org.astarte.test.ServerDatastream'
const SO = 'org.astarte.test.ServerObject'

const bson = (doc: Record<string, unknown>) => Buffer.from(serialize(doc))
type Data<T> = { data: T }

describe('ingestion and AppEngine (spec §3.8, §5)', () => {
  let sb: Sandbox
  before(async () => {
    sb = await testSandbox({ interfacesDir: FIXTURES })
  })
  after(() => sb.stop())

  /** Polls an AppEngine GET until it answers 200. */
  async function read<T>(path: string): Promise<T> {
    let res = await appengine(sb, 'GET', path)
    for (let i = 0; i < 200 && res.status === 404; i++) {
      await new Promise((r) => setTimeout(r, 10))
      res = await appengine(sb, 'GET', path)
    }
    assert.equal(res.status, 200, JSON.stringify(res.json))
    return (res.json as Data<T>).data
  }

  it('reports device status: connection, introspection with counters, last ip', async () => {
    const d = await onlineDevice(sb)
    await d.conn.client.publishAsync(`${d.prefix}/${DD}/sensors/s/value`, bson({ v: new Double(1.5) }), { qos: 1 })
    await read(`devices/${d.deviceId}/interfaces/${DD}/sensors/s/value`)
    const status = await read<Record<string, unknown>>(`devices/${d.deviceId}`)
    assert.equal(status['connected'], true)
    assert.equal(status['last_seen_ip'], '127.0.0.1')
    assert.equal(typeof status['last_connection'], 'string')
    const introspection = status['introspection'] as Record<string, { major: number; minor: number; exchanged_msgs: number; exchanged_bytes: number }>
    assert.deepEqual(introspection[DD], { major: 1, minor: 0, exchanged_msgs: 1, exchanged_bytes: bson({ v: new Double(1.5) }).length })
    assert.deepEqual(Object.keys(introspection).sort(), await read<string[]>(`devices/${d.deviceId}/interfaces`))
    await d.conn.client.endAsync()
    let offline = await read<Record<string, unknown>>(`devices/${d.deviceId}`)
    for (let i = 0; i < 100 && offline['connected'] === true; i++) offline = await read<Record<string, unknown>>(`devices/${d.deviceId}`)
    assert.equal(offline['connected'], false)
    assert.equal(typeof offline['last_disconnection'], 'string')
  })

  it('stores device datastreams: history with since/to/limit and latest per path at the root', async () => {
    const d = await onlineDevice(sb)
    for (const v of [1.25, 2.5, 3.75]) {
      await d.conn.client.publishAsync(`${d.prefix}/${DD}/sensors/s/value`, bson({ v: new Double(v) }), { qos: 1 })
    }
    await d.conn.client.publishAsync(`${d.prefix}/${DD}/sensors/t/count`, bson({ v: Long.fromString('45543543534') }), { qos: 1 })
    const base = `devices/${d.deviceId}/interfaces/${DD}`
    await read(`${base}/sensors/t/count`)
    const history = await read<{ value: number; timestamp: string }[]>(`${base}/sensors/s/value`)
    assert.deepEqual(history.map((s) => s.value), [1.25, 2.5, 3.75])
    const limited = await read<{ value: number }[]>(`${base}/sensors/s/value?limit=2`)
    assert.deepEqual(limited.map((s) => s.value), [2.5, 3.75])
    const future = new Date(Date.now() + 60_000).toISOString()
    const none = await appengine(sb, 'GET', `${base}/sensors/s/value?since=${future}`)
    assert.equal(none.status, 404)
    const upTo = await read<{ value: number }[]>(`${base}/sensors/s/value?to=${future}&limit=1`)
    assert.deepEqual(upTo.map((s) => s.value), [3.75])
    const root = await read<{ sensors: Record<string, Record<string, { value: unknown; timestamp: string; reception_timestamp: string }>> }>(base)
    assert.equal(root.sensors['s']?.['value']?.value, 3.75)
    assert.equal(root.sensors['t']?.['count']?.value, '45543543534')
    assert.equal(typeof root.sensors['t']?.['count']?.reception_timestamp, 'string')
    await d.conn.client.endAsync()
  })

  it('uses t only for explicit_timestamp mappings', async () => {
    const d = await onlineDevice(sb)
    const t = new Date('2020-01-02T03:04:05.678Z')
    await d.conn.client.publishAsync(`${d.prefix}/${DD}/stamped`, bson({ v: 7, t }), { qos: 1 })
    await d.conn.client.publishAsync(`${d.prefix}/${DD}/sensors/x/value`, bson({ v: new Double(1), t }), { qos: 1 })
    const stamped = await read<{ timestamp: string }[]>(`devices/${d.deviceId}/interfaces/${DD}/stamped`)
    assert.equal(stamped[0]?.timestamp, t.toISOString())
    const plain = await read<{ timestamp: string }[]>(`devices/${d.deviceId}/interfaces/${DD}/sensors/x/value`)
    assert.notEqual(plain[0]?.timestamp, t.toISOString())
    await d.conn.client.endAsync()
  })

  it('stores device objects, read by prefix', async () => {
    const d = await onlineDevice(sb)
    const t = new Date('2021-05-05T00:00:00.000Z')
    await d.conn.client.publishAsync(`${d.prefix}/${DO}/o1`, bson({ v: { temp: new Double(21.5), hum: new Double(40) }, t }), { qos: 1 })
    const samples = await read<Record<string, unknown>[]>(`devices/${d.deviceId}/interfaces/${DO}/o1`)
    assert.deepEqual(samples, [{ timestamp: t.toISOString(), temp: 21.5, hum: 40 }])
    await d.conn.client.endAsync()
  })

  it('stores device properties, unsets them, and applies the producer purge', async () => {
    const d = await onlineDevice(sb)
    const base = `devices/${d.deviceId}/interfaces/${DP}`
    for (const room of ['a', 'b', 'c']) {
      await d.conn.client.publishAsync(`${d.prefix}/${DP}/rooms/${room}/name`, bson({ v: `room ${room}` }), { qos: 2 })
    }
    await d.conn.client.publishAsync(`${d.prefix}/${DP}/fixed`, bson({ v: 5 }), { qos: 2 })
    assert.equal(await read(`${base}/rooms/a/name`), 'room a')
    await d.conn.client.publishAsync(`${d.prefix}/${DP}/rooms/a/name`, Buffer.alloc(0), { qos: 2 })
    assert.deepEqual(await read(base), { rooms: { b: { name: 'room b' }, c: { name: 'room c' } }, fixed: 5 })
    const text = `${DP}/rooms/c/name;${DP}/fixed`
    const purge = Buffer.concat([Buffer.from([0, 0, 0, text.length]), deflateSync(text)])
    await d.conn.client.publishAsync(`${d.prefix}/control/producer/properties`, purge, { qos: 2 })
    let props = await read<unknown>(base)
    for (let i = 0; i < 100 && JSON.stringify(props).includes('room b'); i++) props = await read<unknown>(base)
    assert.deepEqual(props, { rooms: { c: { name: 'room c' } }, fixed: 5 })
    assert.equal((await appengine(sb, 'GET', `${base}/rooms/b/name`)).status, 404)
    await d.conn.client.endAsync()
  })

  it('answers emptyCache with the consumer purge list, then every set server property (QoS 2)', async () => {
    const d = await provisionDevice(sb)
    const first = await connectDevice(sb, d)
    await first.client.publishAsync(d.prefix, `${SP}:1:0;${DD}:1:0`, { qos: 2 })
    await first.client.endAsync()
    const base = `devices/${d.deviceId}/interfaces/${SP}`
    assert.equal((await appengine(sb, 'PUT', `${base}/rooms/k/setpoint`, { data: 21 })).status, 200)
    assert.equal((await appengine(sb, 'PUT', `${base}/mode`, { data: 'eco' })).status, 200)
    assert.equal((await appengine(sb, 'PUT', `${base}/big`, { data: '9007199254740993' })).status, 200)
    const conn = await connectDevice(sb, d, { clean: true })
    await conn.client.subscribeAsync([`${d.prefix}/control/consumer/properties`, `${d.prefix}/${SP}/#`], { qos: 2 })
    await conn.client.publishAsync(d.prefix, `${SP}:1:0;${DD}:1:0`, { qos: 2 })
    await conn.client.publishAsync(`${d.prefix}/control/emptyCache`, '1', { qos: 2 })
    await waitFor(() => conn.received.length === 4)
    const [purge, ...values] = conn.received
    assert.equal(purge?.topic, `${d.prefix}/control/consumer/properties`)
    const listed = inflateSync(purge!.payload.subarray(4)).toString('utf8')
    assert.equal(purge!.payload.readUInt32BE(0), Buffer.byteLength(listed))
    assert.deepEqual(listed.split(';').sort(), [`${SP}/big`, `${SP}/mode`, `${SP}/rooms/k/setpoint`])
    assert.ok(conn.received.every((m) => m.qos === 2))
    const byTopic = Object.fromEntries(values.map((m) => [m.topic.slice(d.prefix.length + 1 + SP.length), deserialize(m.payload, { useBigInt64: true })['v']]))
    assert.deepEqual(byTopic, { '/rooms/k/setpoint': 21, '/mode': 'eco', '/big': 9007199254740993n })
    await conn.client.endAsync()
  })

  it('sends the purge list as bare text after a plaintext capabilities message (spec §3.7)', async () => {
    const d = await onlineDevice(sb)
    await appengine(sb, 'PUT', `devices/${d.deviceId}/interfaces/${SP}/mode`, { data: 'away' })
    const capabilities = bson({ purge_properties_compression_format: 'plaintext' })
    await d.conn.client.publishAsync(`${d.prefix}/capabilities`, capabilities, { qos: 2 })
    await d.conn.client.subscribeAsync(`${d.prefix}/control/consumer/properties`, { qos: 2 })
    await d.conn.client.publishAsync(`${d.prefix}/control/emptyCache`, '1', { qos: 2 })
    await waitFor(() => d.conn.received.some((m) => m.topic.endsWith('/control/consumer/properties')))
    const purge = d.conn.received.find((m) => m.topic.endsWith('/control/consumer/properties'))
    assert.equal(purge?.payload.toString('utf8'), `${SP}/mode`)
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
    const del = await appengine(sb, 'DELETE', `${base}/rooms/r1/setpoint`)
    assert.equal(del.status, 204)
    await waitFor(() => d.conn.received.length === 2)
    const [set, unset] = d.conn.received
    assert.equal(set?.qos, 2)
    const setValue = deserialize(set!.payload)['v']
    assert.equal(setValue, 19)
    assert.equal(unset?.payload.length, 0)
    assert.equal((await appengine(sb, 'GET', `${base}/rooms/r1/setpoint`)).status, 404)
    assert.deepEqual((await appengine(sb, 'GET', base)).json, { data: {} })
    const notAllowed = await appengine(sb, 'DELETE', `${base}/mode`)
    assert.equal(notAllowed.status, 405)
    await d.conn.client.endAsync()
  })

  it('sends server datastreams with QoS by reliability and objects on their prefix', async () => {
    const d = await onlineDevice(sb)
    await d.conn.client.subscribeAsync(`${d.prefix}/${SO}/#`, { qos: 2 })
    const base = `devices/${d.deviceId}/interfaces`
    assert.equal((await appengine(sb, 'POST', `${base}/${SD}/unreliable`, { data: 1 })).status, 200)
    assert.equal((await appengine(sb, 'POST', `${base}/${SD}/guaranteed`, { data: 2 })).status, 200)
    assert.equal((await appengine(sb, 'POST', `${base}/${SD}/unique`, { data: Buffer.from('hi').toString('base64') })).status, 200)
    assert.equal((await appengine(sb, 'POST', `${base}/${SO}/k1`, { data: { a: 3, b: 'x' } })).status, 200)
    await waitFor(() => d.conn.received.length === 4)
    // Messages of different QoS travel independently: compare by topic.
    const got = d.conn.received.map((m) => [m.topic.slice(d.prefix.length + 1), m.qos, deserialize(m.payload)['v']]).sort()
    assert.deepEqual(got, [
      [`${SD}/unreliable`, 0, 1],
      [`${SD}/guaranteed`, 1, 2],
      [`${SD}/unique`, 2, new Binary(Buffer.from('hi'))],
      [`${SO}/k1`, 1, { a: 3, b: 'x' }],
    ].sort())
    await d.conn.client.endAsync()
  })

  it('answers 503 for a guaranteed datastream to a device without session, and queues for an offline session', async () => {
    const d = await provisionDevice(sb)
    const conn = await connectDevice(sb, d)
    await conn.client.publishAsync(d.prefix, `${SD}:1:0`, { qos: 2 })
    await conn.client.endAsync()
    const url = `devices/${d.deviceId}/interfaces/${SD}/guaranteed`
    const refused = await appengine(sb, 'POST', url, { data: 1 })
    assert.equal(refused.status, 503)
    assert.equal((await appengine(sb, 'POST', `devices/${d.deviceId}/interfaces/${SD}/unreliable`, { data: 1 })).status, 200)
    const subscribed = await connectDevice(sb, d)
    await subscribed.client.subscribeAsync(`${d.prefix}/${SD}/#`, { qos: 2 })
    await subscribed.client.endAsync()
    assert.equal((await appengine(sb, 'POST', url, { data: 42 })).status, 200)
    const back = await connectDevice(sb, d)
    assert.equal(back.sessionPresent, true)
    await waitFor(() => back.received.length === 1)
    assert.equal(deserialize(back.received[0]!.payload)['v'], 42)
    await back.client.endAsync()
  })

  it('refuses writes it must refuse: 405 device-owned, 422 wrong type, 404 unknown path or interface', async () => {
    const d = await onlineDevice(sb)
    const base = `devices/${d.deviceId}/interfaces`
    const deviceOwned = await appengine(sb, 'POST', `${base}/${DD}/sensors/s/value`, { data: 1 })
    assert.equal(deviceOwned.status, 405)
    assert.deepEqual(deviceOwned.json, { errors: { detail: 'Cannot write to device owned resource' } })
    assert.equal((await appengine(sb, 'PUT', `${base}/${DP}/fixed`, { data: 1 })).status, 405)
    assert.equal((await appengine(sb, 'PUT', `${base}/${SP}/mode`, { data: 12 })).status, 422)
    assert.equal((await appengine(sb, 'PUT', `${base}/${SP}/nope`, { data: 'x' })).status, 404)
    assert.equal((await appengine(sb, 'PUT', `${base}/org.astarte.test.Unknown/x`, { data: 'x' })).status, 404)
    assert.equal((await appengine(sb, 'PUT', `${base}/${SP}/mode`, { value: 'x' })).status, 400)
    assert.equal((await appengine(sb, 'GET', `devices/${Buffer.alloc(16, 9).toString('base64url')}`)).status, 404)
    await d.conn.client.endAsync()
  })

  it('checks the a_aea claim on every call', async () => {
    const d = await provisionDevice(sb)
    const url = `${sb.appengineUrl}/v1/${sb.realm}/devices/${d.deviceId}`
    assert.equal((await call('GET', url)).status, 401)
    assert.equal((await call('GET', url, { auth: `Bearer ${sb.signJwt({ a_pa: ['.*::.*'] })}` })).status, 403)
    const scoped = sb.signJwt({ a_aea: [`GET::devices/${d.deviceId}`] })
    assert.equal((await call('GET', url, { auth: `Bearer ${scoped}` })).status, 200)
    assert.equal((await call('GET', `${url}/interfaces`, { auth: `Bearer ${scoped}` })).status, 403)
  })
})
