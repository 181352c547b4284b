/**
 * @module agent features: the feature modules a configuration turns on, in start order. The
 * daemon and the demo share it; the ports that touch the machine (the system read, the reboot,
 * the LEDs) can be replaced, which is how the demo and the tests run the real features on
 * simulated hardware.
 */
import type { SystemSource } from '../system/index.js'
import { deviceInfoFeatures } from '../device-info/index.js'
import { telemetryFeature } from '../telemetry/index.js'
import type { AgentConfig } from '../config/index.js'
import type { Feature } from './feature.js'

/** Replacements for the ports the features reach the machine through. */
export interface FeaturePorts {
  /** What the device-info and telemetry features read; this Linux machine by default. */
  readonly system?: SystemSource
}

/** The features `config` turns on: device information first, its facts published at start. */
export function agentFeatures(config: AgentConfig, ports: FeaturePorts = {}): Feature[] {
  const baseImage = {
    ...(config.baseImage.name === undefined ? {} : { name: config.baseImage.name }),
    ...(config.baseImage.version === undefined ? {} : { version: config.baseImage.version }),
  }
  const system = ports.system === undefined ? {} : { system: ports.system }
  const interfacesDirectory =
    config.interfacesDirectory === undefined
      ? {}
      : { interfacesDirectory: config.interfacesDirectory }
  return [
    ...deviceInfoFeatures({
      ...system,
      ...(config.hardware.serialNumber === undefined
        ? {}
        : { serialNumber: config.hardware.serialNumber }),
      ...(config.hardware.partNumber === undefined
        ? {}
        : { partNumber: config.hardware.partNumber }),
      ...(Object.keys(baseImage).length === 0 ? {} : { baseImage }),
      ...interfacesDirectory,
    }),
    telemetryFeature({
      ...system,
      ...interfacesDirectory,
      config: config.telemetryConfig.map((t) => ({
        interface_name: t.interfaceName,
        ...(t.enabled === undefined ? {} : { enabled: t.enabled }),
        ...(t.period === undefined ? {} : { period: t.period }),
      })),
    }),
  ]
}
