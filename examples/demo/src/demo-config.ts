/**
 * @module demo config: each demo part writes the agent's configuration as TOML, the way a user
 * writes `/etc/edgehog/config.toml`, and reads it through the agent's own parser and validator.
 */
import { journalLogger, parseToml, validateConfig, type AgentConfig } from '@astarte-ts/agent'
import { Device } from '@astarte-ts/runtime-node'
import type { Interface } from '@astarte-ts/sdk-core'

/** The validated configuration of `toml`; a problem in it is the demo's own bug, thrown. */
export function demoConfig(toml: string): AgentConfig {
  const parsed = parseToml(toml)
  if (!parsed.ok) throw new Error(parsed.problem.message)
  const result = validateConfig(parsed.doc)
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('; '))
  return result.config
}

/** `demoConfig`, for a part that registers its own device: its id and pairing token are given. */
export function demoDeviceConfig(toml: string): {
  readonly config: AgentConfig
  readonly sdk: NonNullable<AgentConfig['astarteDeviceSdk']> & {
    readonly deviceId: string
    readonly pairingToken: string
  }
} {
  const config = demoConfig(toml)
  const sdk = config.astarteDeviceSdk
  if (sdk?.deviceId === undefined || sdk.pairingToken === undefined) {
    throw new Error('the demo configuration names its device and token')
  }
  return { config, sdk: { ...sdk, deviceId: sdk.deviceId, pairingToken: sdk.pairingToken } }
}

/** The agent's device for a demo part: registered with the config's token on first open. */
export function openDemoDevice(
  sdk: ReturnType<typeof demoDeviceConfig>['sdk'],
  interfaces: readonly Interface[],
  storeDir: string,
  caPem: string,
): Promise<Device> {
  return Device.open({
    realm: sdk.realm,
    pairingUrl: sdk.pairingUrl,
    deviceId: sdk.deviceId,
    pairingJwt: sdk.pairingToken,
    interfaces,
    storeDir,
    caPem,
    logger: journalLogger({ level: 'warn' }),
  })
}
