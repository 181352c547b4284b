/** Device ids (spec §4.4): the spec's vectors, UUID v5 against node:crypto's SHA-1, v4 bits. */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  SdkError,
  deviceIdFromUuidV5,
  deviceIdToUuid,
  isValidDeviceId,
  randomDeviceId,
  uuidToDeviceId,
} from '@astarte-ts/sdk-core'
import { sha1 } from '../../src/id/sha1.js'
import { fcOptions } from '../bson/fc-config.js'

test('spec §4.4 UUID v5 vectors', () => {
  assert.equal(
    deviceIdFromUuidV5('f79ad91f-c638-4889-ae74-9d001a3b4cf8', 'myidentifierdata'),
    'AJInS0w3VpWpuOqkXhgZdA',
  )
  assert.equal(
    deviceIdFromUuidV5('b068931c-c450-342b-a3f5-b3d276ea4297', '0099112233'),
    'dvt9mLDaWb2vW7bdBJwKCg',
  )
})

/** RFC 4122 v5 computed with node:crypto. */
function referenceV5(namespace: string, data: string): string {
  const digest = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(Buffer.from(data, 'utf8'))
    .digest()
    .subarray(0, 16)
  digest[6] = (digest[6]! & 0x0f) | 0x50
  digest[8] = (digest[8]! & 0x3f) | 0x80
  return digest.toString('base64url')
}

test('deviceIdFromUuidV5 equals a node:crypto reference', () => {
  fc.assert(
    fc.property(fc.uuid(), fc.string({ unit: 'grapheme', maxLength: 80 }), (ns, data) => {
      assert.equal(deviceIdFromUuidV5(ns, data), referenceV5(ns, data))
    }),
    fcOptions,
  )
})

test('sha1 equals node:crypto across block boundaries', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.deepEqual(Buffer.from(sha1(bytes)), createHash('sha1').update(bytes).digest())
    }),
    { ...fcOptions, numRuns: Math.min(fcOptions.numRuns, 2000) },
  )
})

test('randomDeviceId sets v4 bits and gives a valid 22-char id', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (random) => {
      const id = randomDeviceId(random)
      assert.ok(isValidDeviceId(id))
      assert.match(
        deviceIdToUuid(id),
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
      assert.match(id, /[AQgw]$/)
    }),
    fcOptions,
  )
  assert.throws(
    () => randomDeviceId(new Uint8Array(15)),
    (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_argument',
  )
})

test('device id ⇄ uuid is a byte copy', () => {
  fc.assert(
    fc.property(fc.uuid(), (uuid) => {
      const id = uuidToDeviceId(uuid)
      assert.equal(id, Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url'))
      assert.equal(deviceIdToUuid(id), uuid.toLowerCase())
    }),
    fcOptions,
  )
})

test('isValidDeviceId accepts only canonical 22-char base64url', () => {
  assert.ok(isValidDeviceId('AJInS0w3VpWpuOqkXhgZdA'))
  for (const bad of [
    'AJInS0w3VpWpuOqkXhgZdB',
    'AJInS0w3VpWpuOqkXhgZd',
    'AJInS0w3VpWpuOqkXhgZd+',
    'AJInS0w3VpWpuOqkXhgZdA=',
    42,
  ]) {
    assert.equal(isValidDeviceId(bad), false, String(bad))
  }
  assert.throws(
    () => deviceIdToUuid('nope'),
    (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_device_id',
  )
  assert.throws(
    () => deviceIdFromUuidV5('not-a-uuid', 'x'),
    (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_uuid',
  )
})
