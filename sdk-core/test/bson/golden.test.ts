/**
 * Spec §2.4 vectors as annotated bytes, each checked four ways: decode, encode, round-trip, and
 * against js-bson's `serialize`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serialize } from 'bson'
import { decodeBson, encodeBson } from '@astarte-ts/sdk-core'
import { toJsBson } from './oracle.js'
import { goldenVectors } from './vectors.js'

for (const [name, document, bytes] of goldenVectors) {
  const wire = Uint8Array.from(bytes)
  test(`golden ${name}: decode`, () => {
    assert.deepEqual(decodeBson(wire), document)
  })
  test(`golden ${name}: encode`, () => {
    assert.deepEqual(encodeBson(document), wire)
  })
  test(`golden ${name}: round-trip`, () => {
    assert.deepEqual(encodeBson(decodeBson(wire)), wire)
    assert.deepEqual(decodeBson(encodeBson(document)), document)
  })
  test(`golden ${name}: same bytes as js-bson`, () => {
    assert.deepEqual(new Uint8Array(serialize(toJsBson(document))), wire)
  })
}
