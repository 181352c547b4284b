/**
 * Annotated frames checked four ways (decode, encode, round-trip, fed one byte at a time) and
 * against mqtt-packet; malformed frames must fail with `remote.mqtt_malformed` at the right byte.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  NEED_MORE,
  PacketDecoder,
  SdkError,
  decodePacket,
  encodePacket,
  type Packet,
} from '@astarte-ts/sdk-core'
import { oracleEncode, oracleParse } from './oracle.js'
import { goldenVectors, malformedVectors } from './vectors.js'

function byteByByte(wire: Uint8Array): Packet[] {
  const decoder = new PacketDecoder()
  const out: Packet[] = []
  for (const b of wire) {
    decoder.push(Uint8Array.of(b))
    for (let p = decoder.next(); p !== NEED_MORE; p = decoder.next()) out.push(p)
  }
  return out
}

for (const [name, packet, bytes] of goldenVectors) {
  const wire = Uint8Array.from(bytes)
  test(`golden ${name}: decode`, () => {
    assert.deepEqual(decodePacket(wire), packet)
  })
  test(`golden ${name}: encode`, () => {
    assert.deepEqual(encodePacket(packet), wire)
  })
  test(`golden ${name}: round-trip`, () => {
    assert.deepEqual(encodePacket(decodePacket(wire)), wire)
    assert.deepEqual(decodePacket(encodePacket(packet)), packet)
  })
  test(`golden ${name}: one byte at a time`, () => {
    assert.deepEqual(byteByByte(wire), [packet])
  })
  test(`golden ${name}: same bytes and parse as mqtt-packet`, () => {
    assert.deepEqual(oracleEncode(packet), wire)
    assert.deepEqual(oracleParse(wire), [packet])
  })
}

for (const [name, bytes, offset] of malformedVectors) {
  const wire = Uint8Array.from(bytes)
  test(`malformed ${name}: fails at offset ${offset}, whole or byte by byte`, () => {
    const expected = (e: unknown): boolean => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'remote.mqtt_malformed')
      assert.equal(e.ctx['offset'], offset)
      assert.match(e.message, /^couldn't decode mqtt packet: /)
      return true
    }
    assert.throws(() => decodePacket(wire), expected)
    assert.throws(() => byteByByte(wire), expected)
  })
}
