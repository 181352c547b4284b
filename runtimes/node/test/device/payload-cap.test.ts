/**
 * `maxPayloadBytes` reaches the device: offline, on a real SQLite store, a send whose payload is
 * over the configured cap rejects with `local.payload_too_large` and nothing is queued.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineInterface, SdkError } from '@astarte-ts/sdk-core'
import { Device } from '../../src/index.js'

const Log = defineInterface({
  interface_name: 'org.example.Log',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  mappings: [{ endpoint: '/line', type: 'string', reliability: 'guaranteed', retention: 'stored' }],
})

test('maxPayloadBytes: over the cap rejected before queueing, at the cap queued', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'astarte-cap-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const device = await Device.open({
    realm: 'test',
    pairingUrl: 'https://pairing.invalid/pairing',
    deviceId: 'AJInS0w3VpWpuOqkXhgZdA',
    credentialsSecret: 'not-used-offline',
    interfaces: [Log],
    storeDir: dir,
    maxPayloadBytes: 1024,
    logger: { log: () => undefined },
  })
  t.after(() => device.close())
  // {"v": string} is 13 bytes of framing around the string's bytes
  await assert.rejects(
    device.send(Log, '/line', 'x'.repeat(1024 - 12)),
    (e: unknown) =>
      e instanceof SdkError && e.code === 'local.payload_too_large' && e.ctx['limit'] === 1024,
  )
  assert.equal(device.metrics().queued, 0)
  await device.send(Log, '/line', 'x'.repeat(1024 - 13))
  assert.equal(device.metrics().queued, 1)
})
