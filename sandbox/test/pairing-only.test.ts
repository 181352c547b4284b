import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { connect, createServer, type TLSSocket } from 'node:tls'
import { describe, it } from 'node:test'
import { call, obtainCertificate, newDeviceId, register, testSandbox } from './helpers.js'

describe('pairing and CA alone, for an external broker', () => {
  it('reports the given broker url and issues server certificates that devices trust', async () => {
    const brokerUrl = 'mqtts://127.0.0.1:18883/'
    await assert.rejects(testSandbox({ broker: false }))
    const sb = await testSandbox({ broker: false, brokerUrl })
    try {
      assert.equal(sb.mqttUrl, brokerUrl)
      const id = newDeviceId()
      const secret = await register(sb, id)
      const info = await call('GET', `${sb.pairingUrl}/v1/${sb.realm}/devices/${id}`, {
        auth: `Bearer ${secret}`,
      })
      type Info = { data: { protocols: { astarte_mqtt_v1: { broker_url: string } } } }
      assert.equal((info.json as Info).data.protocols.astarte_mqtt_v1.broker_url, brokerUrl)
      const appengine = `${sb.appengineUrl}/v1/${sb.realm}/devices/${id}`
      assert.equal((await call('GET', appengine, { auth: `Bearer ${sb.jwt}` })).status, 404)

      const server = await sb.issueServerCertificate(['127.0.0.1', 'localhost'], 3600)
      const cert = new X509Certificate(server.certPem)
      assert.ok(cert.verify(new X509Certificate(sb.caPem).publicKey))
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/)
      // A mutual-TLS listener set up like Mosquitto: cafile, certfile, keyfile, client certs.
      const device = await obtainCertificate(sb, id, secret)
      const tls = createServer({
        cert: server.certPem,
        key: server.keyPem,
        ca: sb.caPem,
        requestCert: true,
        rejectUnauthorized: true,
      })
      const accepted = new Promise<string>((resolve) =>
        tls.once('secureConnection', (s: TLSSocket) => {
          resolve(String(s.getPeerCertificate().subject?.CN))
          s.end()
        }),
      )
      tls.listen(0, '127.0.0.1')
      await once(tls, 'listening')
      const socket = connect({
        host: '127.0.0.1',
        port: (tls.address() as AddressInfo).port,
        ca: sb.caPem,
        cert: device.certPem,
        key: device.keyPem,
        servername: 'localhost',
      })
      await once(socket, 'secureConnect')
      assert.equal(await accepted, `${sb.realm}/${id}`)
      socket.destroy()
      tls.close()
    } finally {
      await sb.stop()
    }
  })
})
