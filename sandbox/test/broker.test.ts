import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Sandbox } from '../src/index.js'
import {
  call,
  connectDevice,
  forgedCertificate,
  newDeviceId,
  obtainCertificate,
  provisionDevice,
  register,
  testSandbox,
} from './helpers.js'

describe('broker identity and ACL (spec §3.1)', () => {
  let sb: Sandbox
  before(async () => {
    sb = await testSandbox()
  })
  after(() => sb.stop())

  it('accepts a registered device over mutual TLS, EC or RSA', async () => {
    for (const kind of ['ec', 'rsa'] as const) {
      const d = await provisionDevice(sb, kind)
      const conn = await connectDevice(sb, d)
      assert.equal(conn.sessionPresent, false)
      await conn.client.endAsync()
    }
  })

  it('refuses a TLS client without a certificate or with a foreign one', async () => {
    await assert.rejects(connectDevice(sb, {}))
    await assert.rejects(connectDevice(sb, await forgedCertificate(`${sb.realm}/${newDeviceId()}`)))
  })

  it('refuses a superseded certificate at CONNACK and accepts the new one', async () => {
    const d = await provisionDevice(sb)
    const renewed = await obtainCertificate(sb, d.deviceId, d.secret)
    await assert.rejects(connectDevice(sb, d), (e: Error & { code?: number }) => e.code === 5)
    const conn = await connectDevice(sb, renewed)
    await conn.client.endAsync()
  })

  it('refuses an unregistered device at CONNACK', async () => {
    const d = await provisionDevice(sb)
    const url = `${sb.pairingUrl}/v1/${sb.realm}/agent/devices/${d.deviceId}`
    const res = await call('DELETE', url, { auth: `Bearer ${sb.jwt}` })
    assert.equal(res.status, 204)
    await assert.rejects(connectDevice(sb, d), (e: Error & { code?: number }) => e.code === 5)
  })

  it('keeps persistent sessions and reports sessionPresent truthfully', async () => {
    const d = await provisionDevice(sb)
    const first = await connectDevice(sb, d)
    assert.equal(first.sessionPresent, false)
    await first.client.subscribeAsync(`${d.prefix}/org.Server/#`, { qos: 2 })
    await first.client.endAsync()
    const second = await connectDevice(sb, d)
    assert.equal(second.sessionPresent, true)
    await second.client.endAsync()
    const clean = await connectDevice(sb, d, { clean: true })
    assert.equal(clean.sessionPresent, false)
    await clean.client.endAsync()
    const afterClean = await connectDevice(sb, d)
    assert.equal(afterClean.sessionPresent, false)
    await afterClean.client.endAsync()
  })

  it('uses the certificate CN as session id, whatever the client id', async () => {
    const d = await provisionDevice(sb)
    const a = await connectDevice(sb, d, { clientId: 'one' })
    await a.client.subscribeAsync(`${d.prefix}/org.Server/#`, { qos: 2 })
    const b = await connectDevice(sb, d, { clientId: 'two' })
    assert.equal(b.sessionPresent, true)
    await a.closed
    await b.client.endAsync()
  })

  it('drops subscriptions outside the device prefix', async () => {
    const d = await provisionDevice(sb)
    const other = newDeviceId()
    const conn = await connectDevice(sb, d)
    const filters = [`${d.prefix}/a/#`, `${sb.realm}/${other}/#`, `${sb.realm}/+/x`, '#', d.prefix]
    const request = Object.fromEntries(filters.map((f) => [f, { qos: 2 as const }]))
    const error = await conn.client.subscribeAsync(request).then(
      () => assert.fail('expected a partial refusal'),
      (e: Error & { packet?: { granted: number[] } }) => e,
    )
    assert.deepEqual(error.packet?.granted, [2, 128, 128, 128, 2])
    await conn.client.endAsync()
  })

  it('disconnects a device publishing outside its prefix', async () => {
    const d = await provisionDevice(sb)
    const victim = newDeviceId()
    await register(sb, victim)
    const conn = await connectDevice(sb, d)
    conn.client.publish(`${sb.realm}/${victim}/org.X/a`, Buffer.from([1]), { qos: 0 })
    await conn.closed
  })

  it('disconnects a publish above max_message_size (65 535 bytes)', async () => {
    const d = await provisionDevice(sb)
    const conn = await connectDevice(sb, d)
    conn.client.publish(`${d.prefix}/org.X/a`, Buffer.alloc(65_536), { qos: 0 })
    await conn.closed
  })
})
