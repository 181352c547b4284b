/**
 * Server → device data on the wire (spec §2.2 receive, §3.5, §3.6, §3.8): a real `Device` on a
 * SQLite store receives what the recording broker writes — server properties and their unset,
 * consumer purge lists, a QoS 1 message sent again with DUP, and malformed input of every kind.
 * Bad data is a `dataError` naming interface and path (or a warning when no server-owned
 * interface is addressed), never a lost connection, and the data after it still flows.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { TLSSocket } from 'node:tls'
import { deflateSync } from 'node:zlib'
import { BSON, Int32 } from 'bson'
import type { Device } from '../../src/index.js'
import {
  INTERFACES,
  ServerProps,
  ServerStream,
  Stream,
  startConformanceEnv,
} from './conformance-env.js'
import type { ConformanceEnv } from './conformance-env.js'

const ServerObject = {
  interface_name: 'org.astarte-ts.conformance.ServerObject',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'server',
  aggregation: 'object',
  mappings: ['a', 'b'].map((key) => ({
    endpoint: `/%{id}/${key}`,
    type: 'integer',
    reliability: 'guaranteed',
  })),
} as const

/** spec §3.6 test vector: the empty purge list. */
const EMPTY_PURGE = Buffer.from('00000000789c030000000001', 'hex')

/** spec §3.6: 4-byte big-endian length of the text, then zlib of it. */
function purgePayload(text: string): Buffer {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(Buffer.byteLength(text), 0)
  return Buffer.concat([header, deflateSync(Buffer.from(text))])
}

const int = (n: number): Buffer => Buffer.from(BSON.serialize({ v: new Int32(n) }))

describe('server → device data on the wire (spec §2.2, §3.5, §3.6, §3.8)', () => {
  let env: ConformanceEnv
  let device: Device
  const data: Array<{ type: string; interfaceName: string; path: string; value?: unknown }> = []
  const dataErrors: Array<{ interfaceName: string; path: string; codes: string[] }> = []
  const warnings: string[] = []
  const topic = (rest: string): string => `${env.prefix}/${rest}`
  const cached = (): string[] =>
    device
      .properties({ ownership: 'server' })
      .map((p) => p.path)
      .sort()

  before(async () => {
    env = await startConformanceEnv()
    device = await env.open({ interfaces: [...INTERFACES, ServerObject] })
    device.on('data', (m) =>
      data.push({
        type: m.type,
        interfaceName: m.interfaceName,
        path: m.path,
        ...(m.type === 'unset' ? {} : { value: m.value }),
      }),
    )
    device.on('dataError', (e) =>
      dataErrors.push({
        interfaceName: e.interfaceName,
        path: e.path,
        codes: e.issues.map((i) => i.code),
      }),
    )
    device.on('warning', (w) => warnings.push(w.message))
    await device.connect()
  })
  after(() => env.stop())

  test('a QoS 1 message sent again with DUP on the same connection is no error: acknowledged both times', async () => {
    const t = topic(`${ServerStream.interface_name}/dup`)
    const publish = { cmd: 'publish', topic: t, payload: int(5), qos: 1, messageId: 4001 }
    env.broker.sendRaw([{ ...publish, dup: false, retain: false }])
    env.broker.sendRaw([{ ...publish, dup: true, retain: false }])
    const acks = () => env.packets('puback').filter((p) => p.messageId === 4001).length
    await env.broker.until('both PUBACKs', () => acks() === 2)
    await env.broker.until('the value at the application', () =>
      data.some((d) => d.path === '/dup'),
    )
    // QoS 1 is at least once: the application may see the value twice, never an error
    assert.ok(data.filter((d) => d.path === '/dup').every((d) => BigInt(d.value as number) === 5n))
    assert.deepEqual(dataErrors, [])
    assert.equal(device.state, 'online')
  })

  test('malformed server data: a dataError naming interface and path, or a warning; the connection stays up', async () => {
    const stream = ServerStream.interface_name
    // {"v": 1, "\xc3": 2}: the second key is not UTF-8 (spec §2.1), though the decoder ignores it
    const extraKey = Buffer.from(BSON.serialize({ v: new Int32(1), x: new Int32(2) }))
    extraKey[extraKey.indexOf(0x78)] = 0xc3
    const sent: Array<[string, Uint8Array]> = [
      [`${stream}/bson`, Uint8Array.of(1, 2, 3)],
      [`${stream}/type`, BSON.serialize({ v: 'text' })],
      [`${stream}/utf8key`, extraKey],
      [`${stream}/a+b`, int(1)],
      [`${stream}/too/deep`, int(1)],
      [`${stream}//empty`, int(1)],
      [`${stream}/unset`, new Uint8Array(0)],
      [`${ServerObject.interface_name}/o`, new Uint8Array(0)],
      [`${ServerObject.interface_name}/o`, BSON.serialize({ v: { a: new Int32(1), c: 2 } })],
      ['org.astarte-ts.conformance.Unknown/x', int(1)],
      [`${Stream.interface_name}/unreliable`, int(1)],
      [stream, int(1)],
    ]
    env.broker.publishTogether(sent.map(([t, payload]) => ({ topic: topic(t), payload, qos: 1 })))
    env.broker.publish(topic(`${stream}/after`), int(8), 1)
    env.broker.publish(
      topic(`${ServerObject.interface_name}/o`),
      BSON.serialize({ v: { a: new Int32(1), b: new Int32(2) } }),
      1,
    )
    await env.broker.until('the object after the bad data', () =>
      data.some((d) => d.interfaceName === ServerObject.interface_name),
    )
    assert.deepEqual(dataErrors, [
      { interfaceName: stream, path: '/bson', codes: ['undecodable_bson_payload'] },
      { interfaceName: stream, path: '/type', codes: ['unexpected_value_type'] },
      { interfaceName: stream, path: '/utf8key', codes: ['undecodable_bson_payload'] },
      { interfaceName: stream, path: '/a+b', codes: ['invalid_path'] },
      { interfaceName: stream, path: '/too/deep', codes: ['mapping_not_found'] },
      { interfaceName: stream, path: '//empty', codes: ['invalid_path'] },
      { interfaceName: stream, path: '/unset', codes: ['unset_on_datastream'] },
      { interfaceName: ServerObject.interface_name, path: '/o', codes: ['unexpected_value_type'] },
      { interfaceName: ServerObject.interface_name, path: '/o', codes: ['unexpected_object_key'] },
    ])
    assert.equal(warnings.filter((w) => /ignored/.test(w)).length, 3)
    const after = data.filter((d) => d.path === '/after' || d.path === '/o')
    assert.deepEqual(
      after.map((d) => [d.type, d.path]),
      [
        ['individual', '/after'],
        ['object', '/o'],
      ],
    )
    assert.deepEqual(after[1]?.value, { a: 1, b: 2 })
    // every message acknowledged on the one connection: nothing is redelivered forever
    assert.equal(env.packets('connect').length, 1)
    assert.deepEqual(env.broker.closed, [])
    assert.equal(device.state, 'online')
  })

  test('a server property is stored before the device acknowledges it, even read with the ack of a stored send (spec §3.8, [MQTT-4.3.2-2])', async () => {
    const iface = ServerProps.interface_name
    // what the device holds when it writes a PUBACK: an acknowledged message is never sent again
    const atPuback: unknown[] = []
    const write = TLSSocket.prototype.write
    TLSSocket.prototype.write = function (this: TLSSocket, chunk: unknown, ...rest: unknown[]) {
      const client = (this as unknown as { _tlsOptions?: { isServer?: boolean } })._tlsOptions
      const puback = Buffer.isBuffer(chunk) && chunk.length === 1 && chunk[0] === 0x40
      if (puback && client?.isServer !== true) atPuback.push(device.getProperty(iface, '/z/value'))
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof write
    try {
      env.broker.publishWithNextPuback(topic(`${iface}/z/value`), int(7), 1)
      await device.send(Stream.interface_name, '/stored', 2.5)
      await env.broker.until('the server property acknowledged', () => atPuback.length === 1)
    } finally {
      TLSSocket.prototype.write = write
    }
    assert.deepEqual(atPuback, [7])
    assert.equal(device.getProperty(iface, '/z/value'), 7)
    env.broker.publish(topic(`${iface}/z/value`), new Uint8Array(0))
    await env.broker.until('the property unset', () => cached().length === 0)
  })

  test('server properties: set cached, empty payload unsets; a purge header with no zlib stream after it purges nothing', async () => {
    const iface = ServerProps.interface_name
    env.broker.publish(topic(`${iface}/x/value`), int(1))
    env.broker.publish(topic(`${iface}/y/value`), int(2))
    await env.broker.until('both server properties cached', () => cached().length === 2)
    env.broker.publish(topic(`${iface}/y/value`), new Uint8Array(0))
    await env.broker.until('the unset applied', () => cached().length === 1)
    assert.deepEqual(cached(), ['/x/value'])
    assert.ok(data.some((d) => d.type === 'unset' && d.path === '/y/value'))

    // spec §3.6: only `00 00 00 00` alone is the empty list; this header announces 5 bytes of text
    const purgeWarnings = () => warnings.filter((w) => /purge/.test(w)).length
    env.broker.publish(topic('control/consumer/properties'), Buffer.from('00000005', 'hex'))
    await env.broker.until('the truncated purge list refused', () => purgeWarnings() === 1)
    assert.deepEqual(cached(), ['/x/value'])
    assert.equal(device.getProperty(iface, '/x/value'), 1)

    env.broker.publish(topic('control/consumer/properties'), EMPTY_PURGE)
    await env.broker.until('the empty purge list applied', () => cached().length === 0)
    assert.ok(data.some((d) => d.type === 'unset' && d.path === '/x/value'))
  })

  test('a consumer purge list with entries that name no property: they are skipped, the list still applies (spec §3.6, as DUP parses it)', async () => {
    const iface = ServerProps.interface_name
    env.broker.publish(topic(`${iface}/p/value`), int(1))
    env.broker.publish(topic(`${iface}/q/value`), int(2))
    await env.broker.until('both server properties cached', () => cached().length === 2)
    const skippedWarnings = () => warnings.filter((w) => /skipped/.test(w)).length
    env.broker.publish(
      topic('control/consumer/properties'),
      purgePayload(`junk;${iface}/p/value;;/nointerface;`),
    )
    await env.broker.until('the purge applied', () => cached().length === 1)
    assert.deepEqual(cached(), ['/p/value'])
    assert.ok(data.some((d) => d.type === 'unset' && d.path === '/q/value'))
    assert.equal(skippedWarnings(), 1)
  })
})
