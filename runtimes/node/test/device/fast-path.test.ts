/**
 * The send fast path: a send that doesn't write the store (here `discard` while offline) reaches
 * the machine in the same tick when no group commit is pending, and waits behind one otherwise,
 * so the machine still sees the sends in call order.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { SdkError } from '@astarte-ts/sdk-core'
import { Device } from '../../src/index.js'
import { tempDir } from '../helpers/tmp.js'

const STORED = 'org.astarte-ts.bench.Stored'
const DISCARD = 'org.astarte-ts.bench.Unreliable'

// offline: the pairing URL is never contacted
async function openOffline(t: TestContext, deviceId: string): Promise<Device> {
  const device = await Device.open({
    realm: 'test',
    pairingUrl: 'http://127.0.0.1:9/pairing',
    deviceId,
    credentialsSecret: 'c2VjcmV0',
    interfaces: [new URL('../../../../bench/interfaces/', import.meta.url).pathname],
    storeDir: tempDir(t, 'astarte-fast-path-'),
    logger: { log: () => undefined },
  })
  t.after(() => device.close())
  return device
}

const isOfflineDiscarded = (e: unknown): boolean =>
  e instanceof SdkError && e.code === 'local.offline_discarded'

test('a send that does not write the store is handled in the same tick', async (t) => {
  const device = await openOffline(t, 'Xq3m0uYrSOu1oBq9c8w0Yw')
  const sent = device.send(DISCARD, '/value', 1.5)
  assert.equal(device.metrics().dropped, 1)
  await assert.rejects(sent, isOfflineDiscarded)
})

test('behind a pending group commit it waits, and sends settle in call order', async (t) => {
  const device = await openOffline(t, 'wH1n8tQnR5qv7lJ1kTq2Tg')
  const settled: string[] = []
  const stored = device.send(STORED, '/value', 2.5).then(() => settled.push('stored'))
  const discarded = device.send(DISCARD, '/value', 3.5).catch((e: unknown) => {
    assert.ok(isOfflineDiscarded(e))
    settled.push('discarded')
  })
  // the discard send is queued behind the stored one, not handed to the machine yet
  assert.equal(device.metrics().dropped, 0)
  assert.equal(device.metrics().queued, 0)
  await Promise.all([stored, discarded])
  assert.deepEqual(settled, ['stored', 'discarded'])
  assert.equal(device.metrics().dropped, 1)
  assert.equal(device.metrics().queued, 1)
  // with nothing pending any more, the next one takes the fast path again
  const again = device.send(DISCARD, '/value', 4.5)
  assert.equal(device.metrics().dropped, 2)
  await assert.rejects(again, isOfflineDiscarded)
})
