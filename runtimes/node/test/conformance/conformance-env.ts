/**
 * @module conformance env (test helper): one test CA, a strict broker and a strict Pairing API
 * (both on loopback, reached as `localhost`), and a real `Device` that finds the broker through
 * Pairing's `broker_url` as it would in the field. Interfaces cover every QoS, retention and
 * ownership the wire rules of spec §3 distinguish.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomDeviceId } from '@astarte-ts/sdk-core'
import type { Logger } from '@astarte-ts/sdk-core'
import { Device } from '../../src/index.js'
import type { DeviceOptions } from '../../src/index.js'
import { createCa, issueCertificate } from '../helpers/pki.js'
import type { TestCa } from '../helpers/pki.js'
import { startStrictBroker } from './strict-broker.js'
import type { StrictBroker, StrictBrokerOptions, WirePacket } from './strict-broker.js'
import { startStrictPairing } from './strict-pairing.js'
import type { StrictPairing } from './strict-pairing.js'

export const REALM = 'conformance'
export const quiet: Logger = { log: () => undefined }

const mapping = (endpoint: string, type: string, extra: Record<string, unknown> = {}) => ({
  endpoint,
  type,
  ...extra,
})

export const DeviceProps = {
  interface_name: 'org.astarte-ts.conformance.DeviceProps',
  version_major: 1,
  version_minor: 0,
  type: 'properties',
  ownership: 'device',
  mappings: [mapping('/%{id}/value', 'integer', { allow_unset: true })],
} as const

export const ServerProps = {
  interface_name: 'org.astarte-ts.conformance.ServerProps',
  version_major: 2,
  version_minor: 1,
  type: 'properties',
  ownership: 'server',
  mappings: [mapping('/%{id}/value', 'integer', { allow_unset: true })],
} as const

export const Stream = {
  interface_name: 'org.astarte-ts.conformance.Stream',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  mappings: [
    mapping('/unreliable', 'double'),
    mapping('/guaranteed', 'double', { reliability: 'guaranteed' }),
    mapping('/unique', 'double', { reliability: 'unique' }),
    mapping('/stored', 'double', { reliability: 'guaranteed', retention: 'stored' }),
    mapping('/stamped', 'double', { reliability: 'unique', explicit_timestamp: true }),
    mapping('/text', 'string', { reliability: 'guaranteed', retention: 'stored' }),
  ],
} as const

export const ServerStream = {
  interface_name: 'org.astarte-ts.conformance.ServerStream',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'server',
  mappings: [mapping('/%{id}', 'longinteger', { reliability: 'unique' })],
} as const

export const Sensors = {
  interface_name: 'org.astarte-ts.conformance.Sensors',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  aggregation: 'object',
  mappings: ['temp', 'hum'].map((key) =>
    mapping(`/%{sensor}/${key}`, 'double', { reliability: 'guaranteed', explicit_timestamp: true }),
  ),
} as const

export const INTERFACES = [DeviceProps, ServerProps, Stream, ServerStream, Sensors]

export interface ConformanceEnv {
  readonly ca: TestCa
  readonly broker: StrictBroker
  readonly pairing: StrictPairing
  readonly deviceId: string
  readonly secret: string
  /** The agent JWT the Pairing API accepts for registration. */
  readonly jwt: string
  /** `<realm>/<device_id>`. */
  readonly prefix: string
  /** A device on a fresh store dir unless `storeDir` is given; closed by `stop`. */
  open(overrides?: Partial<DeviceOptions>): Promise<Device>
  /** A fresh store directory, removed by `stop`. */
  storeDir(): Promise<string>
  /** Packets of type `cmd` the broker received, optionally on connection `n` only. */
  packets(cmd: string, connection?: number): WirePacket[]
  stop(): Promise<void>
}

export interface EnvOptions {
  /** What Pairing names as the broker; default `mqtts://localhost:<port>/`. */
  readonly brokerUrl?: (port: number) => string
  /** The host names the broker's certificate is valid for; default localhost and 127.0.0.1. */
  readonly brokerNames?: readonly string[]
  readonly sessionPresent?: StrictBrokerOptions['sessionPresent']
  readonly redeliver?: boolean
}

export async function startConformanceEnv(o: EnvOptions = {}): Promise<ConformanceEnv> {
  const tmp = await mkdtemp(join(tmpdir(), 'astarte-conformance-'))
  const ca = await createCa('conformance CA')
  const serverNames = o.brokerNames ?? ['localhost', '127.0.0.1']
  const brokerCert = await issueCertificate(ca, {
    commonName: 'broker',
    lifetimeSec: 86_400,
    serverNames,
  })
  const pairingCert = await issueCertificate(ca, {
    commonName: 'pairing',
    lifetimeSec: 86_400,
    serverNames: ['localhost'],
  })
  const broker = await startStrictBroker({
    server: brokerCert,
    clientCaPem: ca.certPem,
    ...(o.sessionPresent === undefined ? {} : { sessionPresent: o.sessionPresent }),
    ...(o.redeliver === undefined ? {} : { redeliver: o.redeliver }),
  })
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  // spec §4.6: 32 random bytes, standard base64 with padding (may hold + / =)
  const secret = randomBytes(32).toString('base64')
  const jwt = `agent.${randomBytes(8).toString('hex')}.token`
  const pairing = await startStrictPairing({
    ca,
    server: pairingCert,
    realm: REALM,
    deviceId,
    secret,
    jwt,
    brokerUrl: o.brokerUrl?.(broker.port) ?? `mqtts://localhost:${broker.port}/`,
  })
  const devices: Device[] = []
  let stores = 0
  const storeDir = (): Promise<string> => mkdtemp(join(tmp, `store${stores++}-`))
  return {
    ca,
    broker,
    pairing,
    deviceId,
    secret,
    jwt,
    prefix: `${REALM}/${deviceId}`,
    storeDir,
    async open(overrides = {}) {
      const device = await Device.open({
        realm: REALM,
        pairingUrl: pairing.url,
        deviceId,
        credentialsSecret: secret,
        interfaces: INTERFACES,
        storeDir: overrides.storeDir ?? (await storeDir()),
        caPem: ca.certPem,
        logger: quiet,
        backoff: { minMs: 50, maxMs: 200 },
        ...overrides,
      })
      devices.push(device)
      return device
    },
    packets(cmd, connection) {
      return broker.received
        .filter(
          (r) => r.packet.cmd === cmd && (connection === undefined || r.connection === connection),
        )
        .map((r) => r.packet)
    },
    async stop() {
      for (const d of devices) await d.close().catch(() => undefined)
      await broker.stop()
      await pairing.stop()
      await rm(tmp, { recursive: true, force: true })
    },
  }
}

/** `{ topic, qos, retain, dup, payload }` of a PUBLISH, for compact assertions. */
export function publishView(p: WirePacket): {
  topic: string
  qos: number
  retain: boolean
  payload: Buffer
} {
  return {
    topic: p['topic'] as string,
    qos: p.qos as number,
    retain: p['retain'] as boolean,
    payload: p['payload'] as Buffer,
  }
}
