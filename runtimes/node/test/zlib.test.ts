import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inflateSync } from 'node:zlib'
import fc from 'fast-check'
import { SdkError } from '@astarte-ts/sdk-core'
import { nodeInflater } from '../src/zlib/index.js'

const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 10000)
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const utf8 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'utf8'))

// spec §3.6 vectors: 4-byte big-endian length header, then the zlib stream
const vectors = [
  {
    text: 'com.example.MyInterface/some/path;org.example.DraftInterface/otherPath',
    wire: hex(`00 00 00 46 78 9c 4b ce cf d5 4b ad 48 cc 2d c8 49 d5 f3 ad f4 cc 2b 49 2d 4a 4b 4c
      4e d5 2f ce cf 4d d5 2f 48 2c c9 b0 ce 2f 4a 87 ab 70 29 4a 4c 2b 41 28 ca 2f c9 48 2d 0a 00 2a 02
      00 b2 0c 1a c9`),
  },
  { text: '', wire: hex('00 00 00 00 78 9c 03 00 00 00 00 01') },
]

for (const { text, wire } of vectors) {
  // The spec's bytes come from canonical (madler) zlib; Node 20 bundles Chromium's zlib fork, whose
  // match finder may pick other (equally valid) matches. The server only inflates, so what must
  // hold is: default-level header, and the stream inflates to the text.
  test(`spec §3.6 vector ${JSON.stringify(text.slice(0, 20))}: deflate is a default-level stream of the text`, () => {
    const z = nodeInflater.deflate(utf8(text))
    assert.deepEqual(z.subarray(0, 2), wire.subarray(4, 6))
    assert.equal(Buffer.from(inflateSync(z)).toString('utf8'), text)
    assert.equal(new DataView(wire.buffer).getUint32(0, false), utf8(text).byteLength)
  })
  test(`spec §3.6 vector ${JSON.stringify(text.slice(0, 20))}: inflate gives the text`, () => {
    const out = nodeInflater.inflate(wire.subarray(4), 10_485_760)
    assert.equal(Buffer.from(out).toString('utf8'), text)
  })
}

test('inflate refuses output past maxBytes (zlib bomb)', () => {
  const bomb = nodeInflater.deflate(new Uint8Array(1_000_000))
  assert.throws(
    () => nodeInflater.inflate(bomb, 1000),
    (e: unknown) => e instanceof SdkError && e.code === 'remote.inflate_failed',
  )
  assert.equal(nodeInflater.inflate(bomb, 1_000_000).byteLength, 1_000_000)
})

test('inflate with maxBytes 0 accepts only empty output', () => {
  assert.equal(nodeInflater.inflate(nodeInflater.deflate(new Uint8Array(0)), 0).byteLength, 0)
  assert.throws(() => nodeInflater.inflate(nodeInflater.deflate(utf8('a')), 0), SdkError)
})

test('inflate of malformed data throws remote.inflate_failed', () => {
  assert.throws(
    () => nodeInflater.inflate(hex('78 9c ff ff ff'), 100),
    (e: unknown) => e instanceof SdkError && e.code === 'remote.inflate_failed',
  )
})

test('property: inflate(deflate(x)) = x and deflate agrees with node:zlib inflate', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (data) => {
      const z = nodeInflater.deflate(data)
      assert.deepEqual(z.subarray(0, 2), hex('78 9c'))
      assert.deepEqual(new Uint8Array(inflateSync(z)), data)
      assert.deepEqual(nodeInflater.inflate(z, data.byteLength), data)
    }),
    { seed: 0x5eed, numRuns },
  )
})

test('property: random bytes inflate or throw SdkError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
      try {
        nodeInflater.inflate(data, 4096)
      } catch (e) {
        assert.ok(e instanceof SdkError && e.code.startsWith('remote.'))
      }
    }),
    { seed: 0xbad, numRuns },
  )
})
