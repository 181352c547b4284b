/**
 * @module agent features: the feature modules a configuration turns on, in start order. The
 * daemon and the demo share it; the ports that touch the machine (the system read, the reboot,
 * the LEDs, the dataflows' endpoints) can be replaced, which is how the demo and the tests run
 * the real features on simulated hardware.
 */
import type { Clock } from '@astarte-ts/sdk-core'
import { commandsFeature, commandSystemControl, type SystemControl } from '../commands/index.js'
import type { AgentConfig } from '../config/index.js'
import { deviceInfoFeatures } from '../device-info/index.js'
import { fileTransferFeature } from '../file-transfer/index.js'
import { ledFeature, ledsFromConfig, type Led, type LedChange } from '../led/index.js'
import {
  directorySystemUpdate,
  otaFeature,
  raucSystemUpdate,
  type OtaFeature,
  type SystemUpdate,
} from '../ota/index.js'
import type { SystemSource } from '../system/index.js'
import { telemetryFeature } from '../telemetry/index.js'
import { dataflowFeature, type EndpointRegistry } from '../dataflow/index.js'
import { hardwareEndpoints } from '../hardware/index.js'
import type { Feature, FeatureContext } from './feature.js'

/** Replacements for the ports the features reach the machine through. */
export interface FeaturePorts {
  /** What the device-info and telemetry features read; this Linux machine by default. */
  readonly system?: SystemSource
  /** Where a Reboot command goes; `[reboot] command` run without a shell by default. */
  readonly systemControl?: SystemControl
  /** Between a Reboot request (or a deployed update) and the reboot; 5 s by default. */
  readonly rebootDelayMs?: number
  /** What deploys OTA updates; from `[ota] adapter` (RAUC over D-Bus by default). */
  readonly systemUpdate?: SystemUpdate
  /** The LEDs by id; built from `[[hardware.leds]]` by default. */
  readonly leds?: Readonly<Record<string, Led>>
  /** The clock simulated LEDs stamp their changes with; the system's by default. */
  readonly clock?: Clock
  /** Told of each change of a simulated LED. */
  readonly onSimulatedLedChange?: (id: string, change: LedChange) => void
  /**
   * The endpoints `[[flows]]` name; built from `[[hardware.sensors]]` and `[[hardware.gpio]]`
   * on the feature's clock, timers and logger by default.
   */
  readonly flowEndpoints?: (context: FeatureContext) => EndpointRegistry
}

/**
 * The features `config` turns on: device information first (its facts published at start),
 * telemetry, commands, OTA updates unless `[ota] enabled = false` (a reboot command is refused
 * while an update runs), file transfer unless `[file_transfer] enabled = false`, and LED
 * behaviors when at least one LED is configured (no LED, no `LedBehavior` interface).
 */
export function agentFeatures(config: AgentConfig, ports: FeaturePorts = {}): Feature[] {
  const system = ports.system === undefined ? {} : { system: ports.system }
  const interfacesDirectory =
    config.interfacesDirectory === undefined
      ? {}
      : { interfacesDirectory: config.interfacesDirectory }
  const baseImage = {
    ...(config.baseImage.name === undefined ? {} : { name: config.baseImage.name }),
    ...(config.baseImage.version === undefined ? {} : { version: config.baseImage.version }),
  }
  const features: Feature[] = [
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
  const systemControl =
    ports.systemControl ?? commandSystemControl({ command: config.reboot.command })
  const rebootDelay =
    ports.rebootDelayMs === undefined ? {} : { rebootDelayMs: ports.rebootDelayMs }
  const ota = config.ota.enabled ? otaFromConfig(config, systemControl, ports) : undefined
  features.push(
    commandsFeature({
      systemControl,
      ...rebootDelay,
      ...(ota === undefined ? {} : { busy: () => ota.busy() }),
      ...interfacesDirectory,
    }),
  )
  if (ota !== undefined) features.push(ota)
  if (config.fileTransfer.enabled) {
    features.push(
      fileTransferFeature({
        storageDir: config.fileTransfer.storageDir,
        storageReservedPercent: config.fileTransfer.storageReserved,
        ...interfacesDirectory,
      }),
    )
  }
  const leds =
    ports.leds ??
    ledsFromConfig(config.hardware.leds, {
      clock: ports.clock ?? { now: () => Date.now() },
      ...(ports.onSimulatedLedChange === undefined
        ? {}
        : { onSimulatedChange: ports.onSimulatedLedChange }),
    })
  if (Object.keys(leds).length > 0) features.push(ledFeature({ leds, ...interfacesDirectory }))
  if (config.flows.length > 0) {
    features.push(
      dataflowFeature({
        entries: config.flows,
        processorModules: config.processorModules,
        endpoints:
          ports.flowEndpoints ??
          ((context) => hardwareEndpoints(config.hardware, context).endpoints),
        ...interfacesDirectory,
      }),
    )
  }
  return features
}

function otaFromConfig(
  config: AgentConfig,
  systemControl: SystemControl,
  ports: FeaturePorts,
): OtaFeature {
  const directory = config.ota.directory
  const systemUpdate =
    ports.systemUpdate ??
    (config.ota.adapter === 'directory' && directory !== undefined
      ? directorySystemUpdate(directory)
      : raucSystemUpdate({ bus: config.ota.rauc.dbusSocket }))
  return otaFeature({
    systemUpdate,
    downloadDirectory: config.downloadDirectory,
    reboot: config.ota.reboot,
    systemControl,
    ...(ports.rebootDelayMs === undefined ? {} : { rebootDelayMs: ports.rebootDelayMs }),
    ...(config.interfacesDirectory === undefined
      ? {}
      : { interfacesDirectory: config.interfacesDirectory }),
  })
}
