/** @module context: what every service of one running sandbox shares. */
import type { Logger } from '@astarte-ts/sdk-core'
import type { RealmKey } from './auth/jwt.js'
import type { CertificateAuthority } from './pki/ca.js'
import type { DeviceStore } from './store/devices.js'
import type { InterfaceStore } from './store/interfaces.js'
import type { ValueStore } from './store/values.js'

/** The broker as the HTTP APIs see it (absent when Pairing runs alone). */
export interface BrokerControl {
  isConnected(deviceId: string): boolean
  /** True when a publish on `topic` at `qos` would reach the device now or be queued for it. */
  hasSessionFor(deviceId: string, topic: string): Promise<boolean>
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): Promise<void>
}

/** The version Pairing reports (spec §4.3.3), the Astarte release the sandbox imitates. */
export const ASTARTE_VERSION = '1.2.0'

export interface SandboxContext {
  readonly realm: string
  readonly ca: CertificateAuthority
  readonly devices: DeviceStore
  readonly interfaces: InterfaceStore
  readonly values: ValueStore
  readonly realmKey: RealmKey
  readonly logger: Logger
  readonly certLifetimeSec: number
  /** `mqtts://host:port/`, as device info reports it. */
  readonly brokerUrl: () => string
  readonly broker: () => BrokerControl | null
}
