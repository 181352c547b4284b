/**
 * @module mosquitto env (interop and load suites): Mosquitto as the device's broker, with the
 * sandbox in pairing-only mode as its Pairing API. Mosquitto's server certificate comes from the
 * sandbox CA and it accepts client certificates from that CA (devices) and from its own (the
 * test observer, whose ACL line lets it read and write every topic, playing Astarte's side).
 */
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { OBSERVER_CN, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js'
import { startSlowProxy, type SlowProxy, type SlowProxyOptions } from '../helpers/slow-proxy.js'
import { tempDir } from '../helpers/tmp.js'
import { quiet } from '../faults/sandbox-env.js'

export interface MosquittoEnv {
  /** Pairing API and CA only; its device info names Mosquitto (or the proxy) as the broker. */
  readonly pairing: Sandbox
  readonly broker: Mosquitto
  /** Between devices and Mosquitto, when asked for. */
  readonly proxy: SlowProxy | undefined
  /** A new MQTT client connected straight to Mosquitto with the observer identity. */
  observer(): Promise<MqttClient>
}

/** Starts Mosquitto and a pairing-only sandbox; everything stops when `t` ends. */
export async function startMosquittoEnv(
  t: Pick<TestContext, 'after'>,
  options: { readonly proxy?: SlowProxyOptions; readonly extraConfig?: readonly string[] } = {},
): Promise<MosquittoEnv> {
  const dataDir = join(tempDir(t, 'astarte-interop-'), 'sandbox')
  // The broker URL is only known once Mosquitto listens, and Mosquitto needs its certificate
  // from the sandbox CA first: a first start creates the CA in dataDir, the second reuses it.
  const pairingOnly = (brokerUrl: string): Promise<Sandbox> =>
    startSandbox({ dataDir, broker: false, brokerUrl, logger: quiet })
  const setup = await pairingOnly('mqtts://127.0.0.1:1/')
  const server = await setup.issueServerCertificate(['127.0.0.1', 'localhost'])
  const caPem = setup.caPem
  await setup.stop()

  const broker = await startMosquitto({
    server,
    trustedCaPems: [caPem],
    ...(options.extraConfig === undefined ? {} : { extraConfig: options.extraConfig }),
  })
  t.after(() => broker.dispose())
  const proxy =
    options.proxy === undefined
      ? undefined
      : await startSlowProxy({ ...options.proxy, target: { host: broker.host, port: broker.port } })
  if (proxy !== undefined) t.after(() => proxy.close())
  const port = proxy?.port ?? broker.port
  const pairing = await pairingOnly(`mqtts://127.0.0.1:${port}/`)
  t.after(() => pairing.stop())

  const observerCert = await broker.issueClient(OBSERVER_CN)
  return {
    pairing,
    broker,
    proxy,
    async observer() {
      const client = await mqtt.connectAsync({
        host: broker.host,
        port: broker.port,
        protocol: 'mqtts',
        protocolVersion: 4,
        clientId: `observer-${Math.random().toString(16).slice(2)}`,
        clean: true,
        cert: observerCert.certificatePem,
        key: observerCert.privateKeyPem,
        ca: caPem,
        reconnectPeriod: 0,
      })
      t.after(() => client.endAsync(true))
      return client
    },
  }
}
