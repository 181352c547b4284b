import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { Aedes } from 'aedes'
import { SdkError } from '@astarte-ts/sdk-core'
import type { MqttTransport } from '@astarte-ts/sdk-core'
import { MqttJsTransport, sessionTransport } from '../../src/transport/index.js'
import { createCa, issueCertificate, issueClientCertificate } from '../helpers/pki.js'

// VerneMQ, as Astarte runs it (spec §3.1), answers a foreign filter with SUBACK 0x80; Mosquitto's
// acl_file never does, so this one case runs against an in-process aedes broker over mutual TLS,
// for each transport.
for (const [name, makeTransport] of [
  ['MQTT.js', (): MqttTransport => new MqttJsTransport()],
  ['MqttSession over node:tls', (): MqttTransport => sessionTransport()],
] as const) {
  test(`${name}: SUBACK failure (0x80) for a foreign filter: remote.subscribe_refused; own filter fine`, async (t) => {
    const ca = await createCa('aedes ca')
    const server = await issueCertificate(ca, {
      commonName: 'localhost',
      lifetimeSec: 3600,
      serverNames: ['127.0.0.1'],
    })
    const client = await issueClientCertificate(ca, 'test/dev', { lifetimeSec: 3600 })
    const broker = await Aedes.createBroker({
      authorizeSubscribe: (_client, sub, done) =>
        done(null, sub.topic.startsWith('test/dev/') ? sub : null),
    })
    const tls = createServer(
      {
        cert: server.certificatePem,
        key: server.privateKeyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => broker.handle(socket),
    )
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r))
    t.after(async () => {
      await new Promise<void>((r) => broker.close(() => r()))
      await new Promise<void>((r) => tls.close(() => r()))
    })
    const transport = makeTransport()
    let onPublished: (outcome: unknown) => void = () => undefined
    await transport.connect(
      {
        host: '127.0.0.1',
        port: (tls.address() as AddressInfo).port,
        clientId: 'test/dev',
        keepaliveSec: 30,
        clean: true,
        certificatePem: client.certificatePem,
        privateKeyPem: client.privateKeyPem,
        caPem: ca.certPem,
        ignoreTlsErrors: false,
      },
      {
        message: () => undefined,
        published: (_publishId, error) => onPublished(error ?? 'ok'),
        close: () => undefined,
      },
    )
    t.after(() => transport.end())
    await transport.subscribe(['test/dev/#'], 2)
    await assert.rejects(transport.subscribe(['test/other/#'], 2), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'remote.subscribe_refused')
      assert.deepEqual(e.ctx['filters'], ['test/other/#'])
      return true
    })
    // the connection survives a refused filter
    const outcome = new Promise((resolve) => (onPublished = resolve))
    transport.publish('test/dev/ok', new Uint8Array([1]), 1, 1)
    assert.equal(await outcome, 'ok')
  })
}
