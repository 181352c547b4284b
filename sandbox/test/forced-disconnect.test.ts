import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Double, serialize } from 'bson'
import type { Sandbox } from '../src/index.js'
import { appengine, connectDevice, FIXTURES, onlineDevice, recordingLogger, testSandbox } from './helpers.js'

/** spec §3.10: each error forces a disconnect and discards the session. */
describe('forced disconnect with session discard (spec §3.10)', { concurrency: 4 }, () => {
  let sb: Sandbox
  const { logger, entries } = recordingLogger()
  before(async () => {
    sb = await testSandbox({ interfacesDir: FIXTURES, logger })
  })

  /** Asserts the broker closed `d`'s connection for `error`, and that its session is gone. */
  async function assertForcedOut(d: Awaited<ReturnType<typeof onlineDevice>>, error: string): Promise<void> {
    await d.conn.closed
    const reason = entries.find((e) => e.message === 'forcing disconnect and discarding session' && e.ctx['deviceId'] === d.deviceId)
    assert.equal(reason?.ctx['error'], error)
    const next = await connectDevice(sb, d)
    assert.equal(next.sessionPresent, false)
    await next.client.endAsync()
  }
  after(() => sb.stop())

  const dd = 'org.astarte.test.DeviceDatastream'
  const bson = (doc: Record<string, unknown>) => new Uint8Array(serialize(doc))
  const cases: { error: string; topic: (p: string) => string; payload: Uint8Array | string; introspection?: string }[] = [
    { error: 'write_on_server_owned_interface', topic: (p) => `${p}/org.astarte.test.ServerProperties/mode`, payload: bson({ v: 'x' }) },
    { error: 'invalid_path', topic: (p) => `${p}/${dd}/sensors//value`, payload: bson({ v: new Double(1) }) },
    { error: 'mapping_not_found', topic: (p) => `${p}/${dd}/sensors/s/nope`, payload: bson({ v: new Double(1) }) },
    { error: 'ambiguous_path', topic: (p) => `${p}/${dd}/sensors/s1`, payload: bson({ v: new Double(1) }) },
    { error: 'interface_loading_failed', topic: (p) => `${p}/org.astarte.test.Unknown/a`, payload: bson({ v: 1 }) },
    {
      error: 'interface_loading_failed (not introspected)',
      topic: (p) => `${p}/${dd}/sensors/s/value`,
      payload: bson({ v: new Double(1) }),
      introspection: 'org.astarte.test.DeviceProperties:1:0',
    },
    {
      error: 'interface_loading_failed (major not installed)',
      topic: (p) => `${p}/${dd}/sensors/s/value`,
      payload: bson({ v: new Double(1) }),
      introspection: `${dd}:2:0`,
    },
    { error: 'undecodable_bson_payload', topic: (p) => `${p}/${dd}/sensors/s/value`, payload: new Uint8Array([1, 2, 3]) },
    { error: 'unexpected_value_type', topic: (p) => `${p}/${dd}/sensors/s/value`, payload: bson({ v: 'text' }) },
    {
      error: 'unexpected_object_key',
      topic: (p) => `${p}/org.astarte.test.DeviceObject/o1`,
      payload: bson({ v: { hum: new Double(1), zzz: new Double(2) } }),
    },
    {
      error: 'value_size_exceeded',
      topic: (p) => `${p}/${dd}/sensors/s/tags`,
      payload: bson({ v: Array.from({ length: 1025 }, () => '') }),
    },
    {
      error: 'missing_required_mapping',
      topic: (p) => `${p}/org.astarte.test.DeviceObject/o1`,
      payload: bson({ v: { temp: new Double(1) } }),
    },
    { error: 'unset_not_allowed', topic: (p) => `${p}/org.astarte.test.DeviceProperties/fixed`, payload: new Uint8Array(0) },
    { error: 'invalid_introspection', topic: (p) => p, payload: 'org.astarte.test.DeviceDatastream:1' },
    { error: 'purge_properties_error', topic: (p) => `${p}/control/producer/properties`, payload: new Uint8Array([0, 0, 0, 5, 1, 2, 3]) },
    { error: 'malformed_capabilities_message', topic: (p) => `${p}/capabilities`, payload: bson({ purge_properties_compression_format: 'gzip' }) },
    { error: 'unexpected_control_message', topic: (p) => `${p}/control/whatever`, payload: '1' },
  ]

  for (const c of cases) {
    it(c.error, async () => {
      const d = await onlineDevice(sb, c.introspection)
      d.conn.client.publish(c.topic(d.prefix), Buffer.from(c.payload), { qos: 0 })
      await assertForcedOut(d, c.error.split(' ')[0] ?? '')
    })
  }

  it('invalid_interface: a topic that is not valid utf-8', async () => {
    const d = await onlineDevice(sb)
    const topic = Buffer.concat([Buffer.from(`${d.prefix}/`), Buffer.from([0xc3, 0x28]), Buffer.from('/a')])
    const payload = Buffer.from(serialize({ v: 1 }))
    // A raw QoS 0 PUBLISH: MQTT.js would re-encode the topic as valid UTF-8.
    const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, payload])
    d.conn.client.stream.write(Buffer.concat([Buffer.from([0x30, body.length]), body]))
    await assertForcedOut(d, 'invalid_interface')
  })

  it('unset_on_datastream drops the message and keeps the connection', async () => {
    const d = await onlineDevice(sb)
    await d.conn.client.publishAsync(`${d.prefix}/${dd}/sensors/s/value`, Buffer.alloc(0), { qos: 1 })
    await d.conn.client.publishAsync(`${d.prefix}/${dd}/sensors/s/value`, Buffer.from(serialize({ v: new Double(3.5) })), { qos: 1 })
    const read = () => appengine(sb, 'GET', `devices/${d.deviceId}/interfaces/${dd}/sensors/s/value`)
    let res = await read()
    for (let i = 0; i < 100 && res.status === 404; i++) res = await read()
    assert.deepEqual((res.json as { data: { value: number }[] }).data.map((s) => s.value), [3.5])
    assert.ok(entries.some((e) => e.ctx['deviceId'] === d.deviceId && e.ctx['error'] === 'unset_on_datastream'))
    assert.equal(d.conn.client.connected, true)
    await d.conn.client.endAsync()
  })
})
