/**
 * A server→device QoS 2 message whose exchange spans a connection loss: the broker got the
 * device's PUBREC, the connection dropped before its PUBREL, and on the resumed session the
 * broker sends only the PUBREL ([MQTT-4.4.0-1]). MQTT.js hands a QoS 2 message over at PUBREL,
 * so the transport must still hold it then; `MqttSession` hands it over at its first receipt and
 * must not again. A scripted broker on real TLS plays each step, for each transport.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import mqttPacket from 'mqtt-packet'
import type { MqttTransport } from '@astarte-ts/sdk-core'
import { MqttJsTransport, sessionTransport } from '../../src/transport/index.js'
import { createCa, issueCertificate, issueClientCertificate } from '../helpers/pki.js'

const TOPIC = 'test/dev/org.Server/value'

for (const [name, makeTransport, atPubrel] of [
  ['MQTT.js', (): MqttTransport => new MqttJsTransport(), true],
  ['MqttSession over node:tls', (): MqttTransport => sessionTransport(), false],
] as const) {
  test(`${name}: a QoS 2 message whose PUBREL comes on the resumed session reaches the application once`, async (t) => {
    const ca = await createCa('qos2 resume ca')
    const serverCert = await issueCertificate(ca, {
      commonName: '127.0.0.1',
      lifetimeSec: 3600,
      serverNames: ['127.0.0.1'],
    })
    const device = await issueClientCertificate(ca, 'test/dev', { lifetimeSec: 3600 })
    const seen: string[] = []
    let connections = 0
    const send = (socket: TLSSocket, packet: Record<string, unknown>): void => {
      socket.write(mqttPacket.generate(packet as unknown as mqttPacket.Packet))
    }
    const server = createServer(
      {
        cert: serverCert.certificatePem,
        key: serverCert.privateKeyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        const n = ++connections
        const parser = mqttPacket.parser({ protocolVersion: 4 })
        socket.on('data', (chunk: Buffer) => parser.parse(chunk))
        socket.on('error', () => undefined)
        parser.on('packet', (p: mqttPacket.Packet & { messageId?: number }) => {
          seen.push(`${n}:${p.cmd}${p.messageId === undefined ? '' : `:${p.messageId}`}`)
          if (p.cmd === 'connect' && n === 1) {
            send(socket, { cmd: 'connack', returnCode: 0, sessionPresent: false })
            const payload = Buffer.from('v')
            send(socket, {
              cmd: 'publish',
              topic: TOPIC,
              payload,
              qos: 2,
              messageId: 7,
              dup: false,
            })
          }
          // the device's PUBREC arrived; the PUBREL is lost with the connection
          if (p.cmd === 'pubrec' && n === 1) socket.destroy()
          if (p.cmd === 'connect' && n === 2) {
            send(socket, { cmd: 'connack', returnCode: 0, sessionPresent: true })
            send(socket, { cmd: 'pubrel', messageId: 7 })
          }
          if (p.cmd === 'pingreq') send(socket, { cmd: 'pingresp' })
          if (p.cmd === 'disconnect') socket.end()
        })
      },
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

    const messages: string[] = []
    let closes = 0
    const events = {
      message: (topic: string, payload: Uint8Array, qos: number) =>
        messages.push(`${topic} ${Buffer.from(payload).toString()} ${qos}`),
      published: () => undefined,
      close: () => void closes++,
    }
    const until = async (what: string, cond: () => boolean): Promise<void> => {
      const deadline = Date.now() + 10_000
      while (!cond()) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}: ${seen.join(' ')}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    const transport = makeTransport()
    t.after(async () => {
      await transport.end()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })
    const options = {
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      clientId: 'test/dev',
      keepaliveSec: 30,
      clean: false,
      certificatePem: device.certificatePem,
      privateKeyPem: device.privateKeyPem,
      caPem: ca.certPem,
      ignoreTlsErrors: false,
    }
    assert.equal((await transport.connect(options, events)).sessionPresent, false)
    await until('the connection to drop', () => closes === 1)
    assert.deepEqual(messages, atPubrel ? [] : [`${TOPIC} v 2`], 'handed over once, at its time')
    assert.equal((await transport.connect(options, events)).sessionPresent, true)
    await until('the PUBCOMP', () => seen.includes('2:pubcomp:7'))
    assert.deepEqual(messages, [`${TOPIC} v 2`])
  })
}
