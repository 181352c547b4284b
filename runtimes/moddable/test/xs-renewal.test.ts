/**
 * Certificate renewal on the chip, in XS against the sandbox: no key is generated; the device
 * resubmits the CSR the factory stored, keeps the new certificate in `Preference`, and connects
 * with it.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { eventually, startSandboxEnv, type SandboxEnv } from './xs/sandbox-env.js'
import { XsDevice } from './xs/xs-device.js'

const VOLATILE = 'org.astarte-ts.test.Volatile'

let env: SandboxEnv
before(async () => {
  // 30 s certificates backdated 60 s by the CA: renewal at 75 % ± 5 % falls 3–12 s after issue
  env = await startSandboxEnv({ certLifetimeSec: 30 })
})
after(async () => {
  await env?.stop()
})

const pemBody = (pem: string): string => pem.replace(/-----[^-]+-----|\s/g, '')

test('XS: renews from the stored CSR, keeps the certificate, reconnects with it', async () => {
  const { deviceId, preferences } = await env.provision()
  const stored = preferences.get('astarte')
  assert.ok(stored !== undefined)
  const base64 = (key: string) => (stored.get(key) as { base64: string }).base64
  const key = base64('key')
  const csr = base64('csr')
  const factoryCert = base64('cert')
  const device = await XsDevice.start({
    preferences,
    open: { interfaces: env.compiled, backoff: { minMs: 100, maxMs: 500 } },
  })
  try {
    await device.call('connect')
    // the factory certificate may already be due when the device starts: renewal then comes first
    await eventually(
      'a renewed certificate in the preferences',
      async () => base64('cert'),
      (cert) => cert !== factoryCert,
      30_000,
    )
    assert.equal(base64('key'), key)
    assert.equal(base64('csr'), csr)
    const submitted = device.host.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/credentials'))
      .map((r) => pemBody((JSON.parse(r.body ?? '{}') as { data: { csr: string } }).data.csr))
    assert.ok(submitted.length >= 1)
    assert.ok(submitted.every((c) => c === csr))

    const mark = device.events.length
    device.host.dropConnections()
    await device.waitFor((e) => e.name === 'synced', mark)
    assert.equal(device.host.connections.at(-1), base64('cert'))
    assert.notEqual(device.host.connections.at(-1), factoryCert)
    await device.call('send', VOLATILE, '/count', 9)
    await eventually(
      'the value sent after renewal',
      async () => (await env.api('GET', `devices/${deviceId}/interfaces/${VOLATILE}/count`)).data,
      (data) => Array.isArray(data) && data.some((r: { value: unknown }) => r.value === 9),
    )
  } finally {
    await device.stop()
  }
})
