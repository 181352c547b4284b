import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Double, serialize } from 'bson'
import { appengine, call, connectDevice, FIXTURES, onlineDevice, testSandbox } from './helpers.js'

const DD = 'org.astarte.test.DeviceDatastream'

describe('restart with the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-restart-'))
  after(() => rmSync(dataDir, { recursive: true, force: true }))

  it('keeps CA, realm key, devices, credentials, interfaces, data and sessions', async () => {
    const first = await testSandbox({ dataDir })
    const iface = JSON.parse(readFileSync(join(FIXTURES, `${DD}.json`), 'utf8')) as unknown
    const install = await call('POST', `${first.realmManagementUrl}/v1/${first.realm}/interfaces`, {
      auth: `Bearer ${first.jwt}`,
      body: { data: iface },
    })
    assert.equal(install.status, 201)
    const d = await onlineDevice(first, `${DD}:1:0`)
    const payload = Buffer.from(serialize({ v: new Double(6.5) }))
    await d.conn.client.publishAsync(`${d.prefix}/${DD}/sensors/s/value`, payload, { qos: 2 })
    const path = `devices/${d.deviceId}/interfaces/${DD}/sensors/s/value`
    assert.equal((await appengine(first, 'GET', path)).status, 200)
    await d.conn.client.endAsync()
    const { caPem, jwt } = first
    await first.stop()

    const second = await testSandbox({ dataDir, interfacesDir: FIXTURES })
    try {
      assert.equal(second.caPem, caPem)
      const auth = `Bearer ${jwt}`
      const device = `${second.pairingUrl}/v1/${second.realm}/devices/${d.deviceId}`
      const info = await call('GET', device, { auth: `Bearer ${d.secret}` })
      assert.equal((info.json as { data: { status: string } }).data.status, 'confirmed')
      // The same certificate connects and resumes its session (sessions.test.ts has the rest).
      const again = await connectDevice(second, d)
      assert.equal(again.sessionPresent, true)
      await again.client.endAsync()
      const read = await call('GET', `${second.appengineUrl}/v1/${second.realm}/${path}`, { auth })
      const samples = (read.json as { data: { value: number }[] }).data
      assert.deepEqual(
        samples.map((s) => s.value),
        [6.5],
      )
      const rm = `${second.realmManagementUrl}/v1/${second.realm}/interfaces`
      const list = await call('GET', rm, { auth })
      assert.equal((list.json as { data: string[] }).data.length, 6)
    } finally {
      await second.stop()
    }
  })
})
