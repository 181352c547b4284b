import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Double, serialize } from 'bson'
import type { Sandbox } from '../src/index.js'
import {
  appengine,
  connectDevice,
  FIXTURES,
  onlineDevice,
  recordingLogger,
  testSandbox,
} from './helpers.js'

const DD = 'org.astarte.test.DeviceDatastream'
const DO = 'org.astarte.test.DeviceObject'
const bson = (doc: Record<string, unknown>): Uint8Array => new Uint8Array(serialize(doc))
const one = bson({ v: new Double(1) })

interface Case {
  readonly error: string
  /** Topic below the device prefix; `''` is the prefix itself (introspection). */
  readonly topic: string
  readonly payload: Uint8Array | string
  readonly introspection?: string
}

/** One row per DUP error of spec §3.10. */
const CASES: readonly Case[] = [
  {
    error: 'write_on_server_owned_interface',
    topic: '/org.astarte.test.ServerProperties/mode',
    payload: bson({ v: 'x' }),
  },
  { error: 'invalid_path', topic: `/${DD}/sensors//value`, payload: one },
  { error: 'mapping_not_found', topic: `/${DD}/sensors/s/nope`, payload: one },
  { error: 'ambiguous_path', topic: `/${DD}/sensors/s1`, payload: one },
  { error: 'interface_loading_failed', topic: '/org.astarte.test.Unknown/a', payload: one },
  {
    error: 'interface_loading_failed',
    topic: `/${DD}/sensors/s/value`,
    payload: one,
    introspection: 'org.astarte.test.DeviceProperties:1:0',
  },
  {
    error: 'interface_loading_failed',
    topic: `/${DD}/sensors/s/value`,
    payload: one,
    introspection: `${DD}:2:0`,
  },
  {
    error: 'undecodable_bson_payload',
    topic: `/${DD}/sensors/s/value`,
    payload: new Uint8Array([1, 2, 3]),
  },
  { error: 'unexpected_value_type', topic: `/${DD}/sensors/s/value`, payload: bson({ v: 'x' }) },
  {
    error: 'unexpected_object_key',
    topic: `/${DO}/o1`,
    payload: bson({ v: { hum: new Double(1), zzz: new Double(2) } }),
  },
  {
    error: 'value_size_exceeded',
    topic: `/${DD}/sensors/s/tags`,
    payload: bson({ v: Array.from({ length: 1025 }, () => '') }),
  },
  {
    error: 'missing_required_mapping',
    topic: `/${DO}/o1`,
    payload: bson({ v: { temp: new Double(1) } }),
  },
  {
    error: 'unset_not_allowed',
    topic: '/org.astarte.test.DeviceProperties/fixed',
    payload: new Uint8Array(0),
  },
  { error: 'invalid_introspection', topic: '', payload: `${DD}:1` },
  {
    error: 'purge_properties_error',
    topic: '/control/producer/properties',
    payload: new Uint8Array([0, 0, 0, 5, 1, 2, 3]),
  },
  {
    error: 'malformed_capabilities_message',
    topic: '/capabilities',
    payload: bson({ purge_properties_compression_format: 'gzip' }),
  },
  { error: 'unexpected_control_message', topic: '/control/whatever', payload: '1' },
]

describe('forced disconnect with session discard (spec §3.10)', { concurrency: 4 }, () => {
  let sb: Sandbox
  const { logger, entries } = recordingLogger()
  before(async () => {
    sb = await testSandbox({ interfacesDir: FIXTURES, logger })
  })
  after(() => sb.stop())

  type Online = Awaited<ReturnType<typeof onlineDevice>>

  /** Asserts the broker closed `d`'s connection for `error`, and that its session is gone. */
  async function assertForcedOut(d: Online, error: string): Promise<void> {
    await d.conn.closed
    const reason = entries.find(
      (e) =>
        e.message === 'forcing disconnect and discarding session' &&
        e.ctx['deviceId'] === d.deviceId,
    )
    assert.equal(reason?.ctx['error'], error)
    const next = await connectDevice(sb, d)
    assert.equal(next.sessionPresent, false)
    await next.client.endAsync()
  }

  for (const c of CASES) {
    const name = c.introspection === undefined ? c.error : `${c.error} (${c.introspection})`
    it(name, async () => {
      const d = await onlineDevice(sb, c.introspection)
      d.conn.client.publish(`${d.prefix}${c.topic}`, Buffer.from(c.payload), { qos: 0 })
      await assertForcedOut(d, c.error)
    })
  }

  it('invalid_interface: a topic that is not valid utf-8', async () => {
    const d = await onlineDevice(sb)
    const bad = Buffer.from([0xc3, 0x28])
    const topic = Buffer.concat([Buffer.from(`${d.prefix}/`), bad, Buffer.from('/a')])
    const payload = Buffer.from(serialize({ v: 1 }))
    // A raw QoS 0 PUBLISH: MQTT.js would re-encode the topic as valid UTF-8.
    const length = Buffer.from([topic.length >> 8, topic.length & 0xff])
    const body = Buffer.concat([length, topic, payload])
    d.conn.client.stream.write(Buffer.concat([Buffer.from([0x30, body.length]), body]))
    await assertForcedOut(d, 'invalid_interface')
  })

  it('unset_on_datastream drops the message and keeps the connection', async () => {
    const d = await onlineDevice(sb)
    const topic = `${d.prefix}/${DD}/sensors/s/value`
    await d.conn.client.publishAsync(topic, Buffer.alloc(0), { qos: 1 })
    const sample = Buffer.from(serialize({ v: new Double(3.5) }))
    await d.conn.client.publishAsync(topic, sample, { qos: 1 })
    const path = `devices/${d.deviceId}/interfaces/${DD}/sensors/s/value`
    const read = () => appengine(sb, 'GET', path)
    let res = await read()
    for (let i = 0; i < 100 && res.status === 404; i++) res = await read()
    const samples = (res.json as { data: { value: number }[] }).data
    assert.deepEqual(
      samples.map((s) => s.value),
      [3.5],
    )
    const dropped = entries.some(
      (e) => e.ctx['deviceId'] === d.deviceId && e.ctx['error'] === 'unset_on_datastream',
    )
    assert.ok(dropped)
    assert.equal(d.conn.client.connected, true)
    await d.conn.client.endAsync()
  })
})
