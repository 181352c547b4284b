/** Property tests: byte-identical to js-bson, round-trip, and the decoder's error contract. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { deserialize, serialize } from 'bson'
import { SdkError, decodeBson, encodeBson } from '@astarte-ts/sdk-core'
import { arbBsonDocument, arbMutatedBytes } from './arbitraries.js'
import { fcOptions, fuzzOptions } from './fc-config.js'
import { toJsBson } from './oracle.js'

test('encodeBson writes the same bytes as js-bson serialize', () => {
  fc.assert(
    fc.property(arbBsonDocument, (doc) => {
      assert.deepEqual(encodeBson(doc), new Uint8Array(serialize(toJsBson(doc))))
    }),
    fcOptions,
  )
})

test('decodeBson(encodeBson(doc)) equals doc', () => {
  fc.assert(
    fc.property(arbBsonDocument, (doc) => {
      assert.deepEqual(decodeBson(encodeBson(doc)), doc)
    }),
    fcOptions,
  )
})

/** Decodes or throws the one allowed error; returns whether it decoded. */
function decodesOrRejects(bytes: Uint8Array): boolean {
  try {
    decodeBson(bytes)
    return true
  } catch (e) {
    assert.ok(e instanceof SdkError, `unexpected throw ${String(e)}`)
    assert.equal(e.code, 'remote.undecodable_bson')
    assert.equal(typeof e.ctx['offset'], 'number')
    return false
  }
}

test('random bytes decode or throw remote.undecodable_bson only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void decodesOrRejects(b)),
    fuzzOptions,
  )
})

test('random bytes with a matching length header decode or throw remote.undecodable_bson only', () => {
  const arb = fc.uint8Array({ minLength: 1, maxLength: 60 }).map((body) => {
    const b = new Uint8Array(body.length + 4)
    b.set(body, 4)
    new DataView(b.buffer).setInt32(0, b.length, true)
    return b
  })
  fc.assert(
    fc.property(arb, (b) => void decodesOrRejects(b)),
    fuzzOptions,
  )
})

test('mutated documents decode or throw remote.undecodable_bson only; js-bson agrees when they decode', () => {
  fc.assert(
    fc.property(arbMutatedBytes, (b) => {
      if (decodesOrRejects(b)) {
        // What we accept, js-bson (laxer) accepts too, and re-encoding gives the same bytes.
        assert.doesNotThrow(() => deserialize(b, { useBigInt64: true }))
        assert.deepEqual(encodeBson(decodeBson(b)), b)
      }
    }),
    fuzzOptions,
  )
})
