/**
 * Codec properties against mqtt-packet (the oracle): same bytes as `generate()`, same packets as
 * its parser, round-trip, any chunking, and the fuzz contract (packets or a `remote.` SdkError).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  NEED_MORE,
  PacketCode,
  PacketDecoder,
  SdkError,
  decodePacket,
  encodePacket,
  type Packet,
} from '@astarte-ts/sdk-core'
import { decodeClientBody } from '../../src/mqtt/decode-body.js'
import { FrameDecoder, decodeWhole } from '../../src/mqtt/decoder.js'
import { fcOptions, fuzzOptions } from '../bson/fc-config.js'
import { arbCuts, arbDamaged, arbPacket, chunksOf } from './arbitraries.js'
import { oracleEncode, oracleParse } from './oracle.js'

function decodeChunks(chunks: readonly Uint8Array[]): Packet[] {
  const decoder = new PacketDecoder()
  const out: Packet[] = []
  for (const c of chunks) {
    decoder.push(c)
    for (let p = decoder.next(); p !== NEED_MORE; p = decoder.next()) out.push(p)
  }
  return out
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** The fuzz contract: decoding yields packets or throws an SdkError with a `remote.` code. */
function assertPacketsOrRemoteError(chunks: readonly Uint8Array[]): void {
  try {
    decodeChunks(chunks)
  } catch (e) {
    assert.ok(e instanceof SdkError, `not an SdkError: ${String(e)}`)
    assert.match(e.code, /^remote\./)
    assert.equal(typeof e.ctx['offset'], 'number')
  }
}

test('encodePacket gives the bytes of mqtt-packet generate() (protocol level 4)', () => {
  fc.assert(
    fc.property(arbPacket, (p) => {
      assert.deepEqual(encodePacket(p), oracleEncode(p))
    }),
    fcOptions,
  )
})

test('decodePacket(encodePacket(p)) equals p', () => {
  fc.assert(
    fc.property(arbPacket, (p) => {
      assert.deepEqual(decodePacket(encodePacket(p)), p)
    }),
    fcOptions,
  )
})

test('the decoder agrees with mqtt-packet parser on its bytes', () => {
  fc.assert(
    fc.property(arbPacket, (p) => {
      const wire = oracleEncode(p)
      assert.deepEqual([decodePacket(wire)], oracleParse(wire))
    }),
    fcOptions,
  )
})

test('a stream of packets decodes the same however it is chunked', () => {
  fc.assert(
    fc.property(
      fc.array(arbPacket, { minLength: 1, maxLength: 5 }).chain((ps) => {
        const wire = concat(ps.map(encodePacket))
        return fc.tuple(fc.constant(ps), fc.constant(wire), arbCuts(wire.length))
      }),
      ([ps, wire, cuts]) => {
        assert.deepEqual(decodeChunks(chunksOf(wire, cuts)), ps)
      },
    ),
    fcOptions,
  )
})

test('fuzz: random bytes decode or fail with a remote SdkError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), arbCuts(64), (bytes, cuts) => {
      assertPacketsOrRemoteError(chunksOf(bytes, cuts))
    }),
    fcOptions,
  )
})

test('fuzz: damaged frames decode or fail with a remote SdkError', () => {
  fc.assert(
    fc.property(arbDamaged, arbCuts(64), (bytes, cuts) => {
      assertPacketsOrRemoteError(chunksOf(bytes, cuts))
    }),
    fuzzOptions,
  )
})

const packetTypes = Object.fromEntries(
  Object.entries(PacketCode).map(([type, code]) => [code, type]),
) as Readonly<Record<number, string>>
const CLIENT_ONLY = new Set(['connect', 'subscribe', 'unsubscribe', 'pingreq', 'disconnect'])

/** What a decode gave: the packet, or the error's code and offset. */
function outcome<P>(decode: () => P): P | { error: string; offset: unknown } {
  try {
    return decode()
  } catch (e) {
    assert.ok(e instanceof SdkError)
    return { error: e.code, offset: e.ctx['offset'] }
  }
}

test("the session's decoder reads what a server sends as decodePacket does, and names the rest", () => {
  const clientDecode = (bytes: Uint8Array) => decodeWhole(new FrameDecoder(decodeClientBody), bytes)
  fc.assert(
    fc.property(fc.oneof(arbPacket.map(encodePacket), arbDamaged), (bytes) => {
      const type = bytes.length > 0 ? packetTypes[(bytes[0] as number) >> 4] : undefined
      const expected = outcome(() => decodePacket(bytes))
      const actual = outcome(() => clientDecode(bytes))
      if (type === undefined || !CLIENT_ONLY.has(type)) assert.deepEqual(actual, expected)
      // a misdirected packet is its type alone, its body unread; its frame is still checked
      else if ('error' in actual)
        assert.match(actual.error, /^remote\.mqtt_(malformed|frame_too_large)$/)
      else assert.deepEqual(actual, { type })
    }),
    fuzzOptions,
  )
})
