/** The streaming decoder's bounds and contract, and the encoder's refusals. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  NEED_MORE,
  PacketDecoder,
  SdkError,
  decodePacket,
  encodePacket,
  type Packet,
  type PublishPacket,
} from '@astarte-ts/sdk-core'

const publish = (payloadBytes: number): PublishPacket => ({
  type: 'publish',
  topic: 't',
  payload: new Uint8Array(payloadBytes).fill(7),
  qos: 1,
  dup: false,
  retain: false,
  packetId: 1,
})

const isCode = (code: string) => (e: unknown) => e instanceof SdkError && e.code === code

test('a frame over maxFrameBytes fails from its header, before the body arrives', () => {
  const wire = encodePacket(publish(100))
  const decoder = new PacketDecoder({ maxFrameBytes: wire.length - 1 })
  decoder.push(wire.subarray(0, 2))
  assert.throws(
    () => decoder.next(),
    (e: unknown) => {
      assert.ok(isCode('remote.mqtt_frame_too_large')(e))
      assert.equal((e as SdkError).ctx['frameBytes'], wire.length)
      return true
    },
  )
  const exact = new PacketDecoder({ maxFrameBytes: wire.length })
  exact.push(wire)
  assert.deepEqual(exact.next(), publish(100))
})

test('a failed decoder stays failed (sticky), even when good bytes follow', () => {
  const decoder = new PacketDecoder()
  decoder.push(Uint8Array.of(0x00, 0x00))
  assert.throws(() => decoder.next(), isCode('remote.mqtt_malformed'))
  const held = decoder.buffered
  decoder.push(encodePacket({ type: 'pingresp' }))
  assert.throws(() => decoder.next(), isCode('remote.mqtt_malformed'))
  assert.equal(decoder.buffered, held, 'nothing more is buffered after the failure')
})

test('error offsets count from the start of the stream, across packets', () => {
  const decoder = new PacketDecoder()
  const ping = encodePacket({ type: 'pingresp' })
  decoder.push(ping)
  decoder.push(Uint8Array.of(0x40, 0x02, 0x00, 0x00))
  assert.deepEqual(decoder.next(), { type: 'pingresp' })
  const atBadId = (e: unknown): boolean => (e as SdkError).ctx['offset'] === ping.length + 2
  assert.throws(() => decoder.next(), atBadId)
})

test('after NEED_MORE the decoder holds no reference to the caller chunks', () => {
  const wire = encodePacket(publish(50))
  const decoder = new PacketDecoder()
  const chunk = wire.slice(0, 30)
  decoder.push(chunk)
  assert.equal(decoder.next(), NEED_MORE)
  chunk.fill(0xee)
  const rest = wire.slice(30)
  decoder.push(rest)
  const packet = decoder.next()
  rest.fill(0xee)
  assert.deepEqual(packet, publish(50))
  assert.equal(decoder.next(), NEED_MORE)
  assert.equal(decoder.buffered, 0)
})

test('decodePacket wants exactly one packet', () => {
  const ping = encodePacket({ type: 'pingreq' })
  assert.throws(() => decodePacket(ping.subarray(0, 1)), isCode('remote.mqtt_malformed'))
  const twice = Uint8Array.of(...ping, ...ping)
  assert.throws(() => decodePacket(twice), isCode('remote.mqtt_malformed'))
})

const invalid: readonly [string, Packet][] = [
  ['packet id 0', { type: 'puback', packetId: 0 }],
  ['packet id 65536', { type: 'pubrel', packetId: 65_536 }],
  ['publish dup at qos 0', { ...publish(0), qos: 0, dup: true, packetId: 0 }],
  ['publish wildcard topic', { ...publish(0), topic: 'a/+' }],
  ['publish empty topic', { ...publish(0), topic: '' }],
  ['U+0000 in a filter', { type: 'unsubscribe', packetId: 1, topics: ['a\u0000'] }],
  ['subscribe without filters', { type: 'subscribe', packetId: 1, subscriptions: [] }],
  ['suback reserved code', { type: 'suback', packetId: 1, granted: [3 as 2] }],
  ['keepalive 65536', { type: 'connect', clientId: 'c', clean: true, keepalive: 65_536 }],
  ['empty client id, clean false', { type: 'connect', clientId: '', clean: false, keepalive: 0 }],
  [
    'password without user name',
    { type: 'connect', clientId: 'c', clean: true, keepalive: 0, password: Uint8Array.of(1) },
  ],
  ['topic over 65535 bytes', { ...publish(0), topic: 'x'.repeat(65_536) }],
  ['connack return code 256', { type: 'connack', sessionPresent: false, returnCode: 256 }],
]

for (const [name, packet] of invalid) {
  test(`encodePacket refuses ${name} with local.mqtt_invalid_packet`, () => {
    assert.throws(
      () => encodePacket(packet),
      (e: unknown) => {
        assert.ok(isCode('local.mqtt_invalid_packet')(e))
        assert.match((e as SdkError).message, /^couldn't encode mqtt /)
        return true
      },
    )
  })
}
