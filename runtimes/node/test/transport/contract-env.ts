/**
 * @module contract env (test helper): the transport contract's world on Node — a real Mosquitto
 * requiring client certificates (Astarte's rules, spec §3.1), a relay in front of it that holds
 * or cuts the device's connections, an observer on MQTT.js reading what the broker got, and a
 * scripted TLS broker that answers CONNACK 5.
 */
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:tls'
import mqtt from 'mqtt'
import mqttPacket from 'mqtt-packet'
import type { MqttConnectOptions, MqttTransport } from '@astarte-ts/sdk-core'
import type { TransportContractEnv, TransportObserver } from '@astarte-ts/runtime-testing'
import { OBSERVER_CN, createCa, startMosquitto } from '../helpers/mosquitto.js'
import { issueCertificate, issueClientCertificate } from '../helpers/pki.js'
import { startSlowProxy } from '../helpers/slow-proxy.js'

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createTcpServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })

/** Mosquitto over mutual TLS behind a relay, for `describeTransportContract`. */
export async function mosquittoContractEnv(
  makeTransport: () => MqttTransport,
): Promise<TransportContractEnv> {
  const broker = await startMosquitto()
  const relay = await startSlowProxy({ target: { host: broker.host, port: broker.port } })
  const strangerCa = await createCa('a CA nobody here trusts')
  const refusing: Server[] = []
  let n = 0
  const deviceOptions = async (): Promise<MqttConnectOptions> => {
    const clientId = `test/dev${n++}x${process.pid}`
    const cert = await broker.issueClient(clientId)
    return {
      host: relay.host,
      port: relay.port,
      clientId,
      keepaliveSec: 30,
      clean: false,
      certificatePem: cert.certificatePem,
      privateKeyPem: cert.privateKeyPem,
      caPem: broker.ca.certPem,
      ignoreTlsErrors: false,
    }
  }
  return {
    transport: makeTransport,
    device: deviceOptions,
    async observe(filter) {
      const cert = await broker.issueClient(OBSERVER_CN)
      const client = await mqtt.connectAsync({
        host: broker.host,
        port: broker.port,
        protocol: 'mqtts',
        protocolVersion: 4,
        clientId: `observer${n++}x${process.pid}`,
        clean: true,
        cert: cert.certificatePem,
        key: cert.privateKeyPem,
        ca: broker.ca.certPem,
        reconnectPeriod: 0,
      })
      const messages: { topic: string; payload: Uint8Array; qos: 0 | 1 | 2 }[] = []
      client.on('message', (topic, payload, packet) =>
        messages.push({ topic, payload: new Uint8Array(payload), qos: packet.qos }),
      )
      await client.subscribeAsync(filter, { qos: 2 })
      return {
        messages,
        publish: async (topic, payload, qos) => {
          await client.publishAsync(topic, Buffer.from(payload), { qos })
        },
        close: () => client.endAsync(),
      } satisfies TransportObserver
    },
    async refusedCertificate() {
      const stranger = await issueClientCertificate(strangerCa, 'test/stranger', {
        lifetimeSec: 3600,
      })
      return {
        ...(await deviceOptions()),
        certificatePem: stranger.certificatePem,
        privateKeyPem: stranger.privateKeyPem,
      }
    },
    async refusedIdentity() {
      const serverCert = await issueCertificate(broker.ca, {
        commonName: '127.0.0.1',
        lifetimeSec: 3600,
        serverNames: ['127.0.0.1'],
      })
      const server = createServer(
        { cert: serverCert.certificatePem, key: serverCert.privateKeyPem },
        (socket) => {
          const parser = mqttPacket.parser({ protocolVersion: 4 })
          socket.on('data', (chunk: Buffer) => parser.parse(chunk))
          socket.on('error', () => undefined)
          parser.on('packet', (p) => {
            if (p.cmd !== 'connect') return
            const connack = { cmd: 'connack', returnCode: 5, sessionPresent: false } as const
            socket.end(mqttPacket.generate(connack))
          })
        },
      )
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      refusing.push(server)
      const { port } = server.address() as AddressInfo
      return { ...(await deviceOptions()), host: '127.0.0.1', port }
    },
    async untrustedBroker() {
      return { ...(await deviceOptions()), caPem: strangerCa.certPem }
    },
    async nobodyListening() {
      return { ...(await deviceOptions()), host: '127.0.0.1', port: await freePort() }
    },
    holdAcks: (on) => relay.hold(on),
    cutAll: () => relay.cutAll(),
    async dispose() {
      for (const server of refusing) await new Promise((resolve) => server.close(resolve))
      await relay.close()
      await broker.dispose()
    },
  }
}
