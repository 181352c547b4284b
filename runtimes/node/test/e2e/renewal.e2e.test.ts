/**
 * Certificates against the sandbox: renewal ahead of expiry while data flows, and renewal after
 * the broker refuses a revoked certificate; no queued data is lost either way.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { credentialsRequest, parseCredentialsResponse } from '@astarte-ts/sdk-core'
import { nodeCryptoProvider, nodeHttpClient } from '../../src/index.js'
import { eventually, openDevice, startEnv, type E2eEnv } from './helpers.js'

const VALUES = 'org.astarte-ts.test.DeviceValues'

let env: E2eEnv
const issued: string[] = []
before(async () => {
  // 30 s certificates backdated 60 s by the CA: renewal at 75 % ± 5 % falls 3–12 s after issue
  env = await startEnv({
    certLifetimeSec: 30,
    logger: {
      log: (_level, message, ctx) => {
        if (message === 'certificate issued') issued.push(String(ctx?.deviceId))
      },
    },
  })
})
after(async () => {
  await env?.stop()
})

const issuedFor = (deviceId: string): number => issued.filter((d) => d === deviceId).length

async function valuesOf(deviceId: string, path: string): Promise<unknown[]> {
  const { data } = await env.api('GET', `devices/${deviceId}/interfaces/${VALUES}${path}`)
  return Array.isArray(data) ? data.map((r: { value: unknown }) => r.value) : []
}

test('renews ahead of expiry in the background while sending, losing nothing', async () => {
  const storeDir = await env.storeDir()
  const device = await openDevice(env, { storeDir })
  try {
    await device.connect({ signal: AbortSignal.timeout(20_000) })
    const certFile = join(storeDir, device.deviceId, 'device.crt')
    const firstCert = await readFile(certFile, 'utf8')
    let n = 0
    const timestamp = new Date()
    while (issuedFor(device.deviceId) < 2 && n < 400) {
      await device.send(VALUES, '/renewal/integer', n++, { timestamp })
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(issuedFor(device.deviceId), 2, 'a second certificate was issued ahead of expiry')
    for (let i = 0; i < 10; i++) await device.send(VALUES, '/renewal/integer', n++, { timestamp })
    await eventually(
      'the device back online',
      () => device.state,
      (s) => s === 'online',
      15_000,
    )
    await eventually(
      'the queue to drain',
      () => device.metrics(),
      (m) => m.queued === 0 && m.inflight === 0,
      15_000,
    )
    assert.notEqual(await readFile(certFile, 'utf8'), firstCert)
    const values = await eventually(
      'every value in AppEngine',
      () => valuesOf(device.deviceId, '/renewal/integer'),
      (v) => v.length >= n,
    )
    assert.deepEqual(
      values,
      Array.from({ length: n }, (_, i) => i),
    )
  } finally {
    await device.close()
  }
})

test('a revoked certificate refused by the broker is renewed; data queued meanwhile is delivered', async () => {
  const storeDir = await env.storeDir()
  const first = await openDevice(env, { storeDir })
  const deviceId = first.deviceId
  await first.connect({ signal: AbortSignal.timeout(20_000) })
  await first.disconnect()
  const timestamp = new Date()
  for (let i = 0; i < 5; i++) await first.send(VALUES, '/revoked/integer', i, { timestamp })
  await first.close()

  // someone else obtains credentials for this device: Pairing revokes the device's certificate
  const credentialsSecret = (
    await readFile(join(storeDir, deviceId, 'credentials-secret'), 'utf8')
  ).trim()
  const { csrPem } = await nodeCryptoProvider.createKeyAndCsr(
    'ec-p256',
    `${env.sandbox.realm}/${deviceId}`,
  )
  const res = await nodeHttpClient({}).request(
    credentialsRequest({
      pairingUrl: env.sandbox.pairingUrl,
      realm: env.sandbox.realm,
      deviceId,
      credentialsSecret,
      csrPem,
    }),
  )
  assert.ok(parseCredentialsResponse(res).ok)
  const before = issuedFor(deviceId)

  const second = await openDevice(env, { storeDir, deviceId })
  try {
    await second.connect({ signal: AbortSignal.timeout(30_000) })
    assert.equal(issuedFor(deviceId), before + 1, 'the device asked for a new certificate')
    await eventually(
      'the queue to drain',
      () => second.metrics(),
      (m) => m.queued === 0,
      15_000,
    )
    assert.deepEqual(await valuesOf(deviceId, '/revoked/integer'), [0, 1, 2, 3, 4])
  } finally {
    await second.close()
  }
})

test('an RSA-2048 device key works end to end', async () => {
  const device = await openDevice(env, { keyAlgorithm: 'rsa-2048' })
  try {
    await device.connect({ signal: AbortSignal.timeout(30_000) })
    await device.setProperty('org.astarte-ts.examples.DeviceStatus', '/firmwareVersion', 'rsa')
    const props = await eventually(
      'the property in AppEngine',
      async () =>
        (
          await env.api(
            'GET',
            `devices/${device.deviceId}/interfaces/org.astarte-ts.examples.DeviceStatus`,
          )
        ).data,
      (d) => typeof d === 'object' && d !== null && 'firmwareVersion' in d,
    )
    assert.deepEqual(props, { firmwareVersion: 'rsa' })
  } finally {
    await device.close()
  }
})
