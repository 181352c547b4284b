/**
 * @module config types: the agent's configuration once validated. The first group of sections is
 * edgehog-device-runtime's file, key for key (edgehog-agent spec §10), with its defaults; `[agent]`,
 * `[hardware]` and `[base_image]` are this agent's own. TOML keys are snake_case; the fields here
 * are their camelCase spelling.
 */
import type { LogLevel } from '@astarte-ts/sdk-core'
import type { FlowEntry } from '../dataflow/from-notation.js'

/** `[astarte_device_sdk]`: the device's Astarte identity (direct MQTT). */
export interface AstarteDeviceSdkConfig {
  readonly realm: string
  readonly pairingUrl: string
  /** Absent or empty: derived from the hardware id (`/sys/class/dmi/id/board_serial`). */
  readonly deviceId?: string
  /** Never logged. Exclusive with `pairingToken`. */
  readonly credentialsSecret?: string
  /** A pairing JWT: the device registers itself on first boot. Never logged. */
  readonly pairingToken?: string
  /** Default false. Development only: skips the server's certificate checks. */
  readonly ignoreSsl: boolean
}

/** One `[[telemetry_config]]` entry: the configured default of one telemetry interface. */
export interface TelemetryEntryConfig {
  readonly interfaceName: string
  readonly enabled?: boolean
  /** Seconds between two samples. */
  readonly period?: number
}

/** `[ota]`, as edgehog-device-runtime reads it, and which `SystemUpdate` adapter deploys. */
export interface OtaConfig {
  readonly enabled: boolean
  readonly reboot: 'default' | 'external'
  readonly streaming: boolean
  /** `rauc` (default) or `directory` (the directory A/B adapter, for boards without RAUC). */
  readonly adapter: 'rauc' | 'directory'
  readonly rauc: { readonly dbusSocket: 'system' | 'session' }
  /** `[ota.directory]`, required with `adapter = "directory"`. */
  readonly directory?: OtaDirectoryConfig
}

/** `[ota.directory]`: the directory A/B layout. */
export interface OtaDirectoryConfig {
  /** Holds `slots/A`, `slots/B`, `primary` and `booted`. */
  readonly root: string
  /** The system's compatible string a bundle must name. */
  readonly compatible: string
  /** Where the boot process writes the booted slot; default `<root>/booted`. */
  readonly bootedFile?: string
}

/** `[containers]` (not implemented by this agent: accepted, its interfaces never declared). */
export interface ContainersConfig {
  readonly enabled: boolean
  readonly required: boolean
  readonly maxRetries?: number
}

/** `[file_transfer]`: Edgehog file transfer and the managed file store (spec §9). */
export interface FileTransferConfig {
  readonly enabled: boolean
  readonly storageDir: string
  /** Percent of the disk kept free, 0–100. */
  readonly storageReserved: number
}

/** `[service]`: edgehog-device-runtime's local gRPC service (not implemented here). */
export interface ServiceConfig {
  readonly enabled: boolean
  readonly listener?: { readonly unix: string } | { readonly socket: string }
}

/** `[agent]`: this agent's own process settings. */
export interface AgentSection {
  readonly logLevel: LogLevel
  /** PEM bundle of the CA that signs the Pairing API and broker certificates; the system's when absent. */
  readonly caFile?: string
  /** How long a shutdown waits for publications in flight; default 10 s. */
  readonly shutdownTimeoutSeconds: number
}

/** One `[[hardware.leds]]` entry: a LED the `LedBehavior` interface can blink. */
export type LedConfig =
  | { readonly id: string; readonly type: 'sysfs'; readonly name: string }
  | {
      readonly id: string
      readonly type: 'gpio'
      readonly line: number
      readonly activeLow: boolean
    }
  | { readonly id: string; readonly type: 'simulated' }

/** One `[[hardware.sensors]]` entry: an I2C sensor dataflows name by `id`. */
export interface SensorConfig {
  readonly id: string
  readonly kind: 'bme280' | 'sht3x' | 'simulated-bme280' | 'simulated-sht3x'
  /** The I2C bus number (`/dev/i2c-<bus>`); default 1. Absent for simulated sensors. */
  readonly bus?: number
  /** The device address; default 0x76 (BME280) or 0x44 (SHT3x). */
  readonly address: number
  /** How often a `Push` flow samples it; default 1000 ms. */
  readonly periodMs: number
  /** Copied onto every message (a sink's path template takes them). */
  readonly tags: Readonly<Record<string, string>>
  /** BME280: oversampling of all three measurements; default 1. */
  readonly oversampling?: 1 | 2 | 4 | 8 | 16
  /** SHT3x: default `high`. */
  readonly repeatability?: 'high' | 'medium' | 'low'
}

/** One `[[hardware.gpio]]` entry: a GPIO line dataflows name by `id`. */
export interface GpioConfig {
  readonly id: string
  readonly kind: 'gpio' | 'simulated-gpio'
  /** The kernel's GPIO number, as `onoff` takes it. */
  readonly line: number
  readonly direction: 'in' | 'out'
  /** Inputs: the edges reported; default `both`. */
  readonly edge: 'rising' | 'falling' | 'both'
  /** Inputs: bounces shorter than this are ignored; default 0. */
  readonly debounceMs: number
  readonly activeLow: boolean
  readonly tags: Readonly<Record<string, string>>
}

/** `[hardware]`: facts the system can't tell (SystemInfo), the LEDs, sensors and GPIO lines. */
export interface HardwareConfig {
  readonly serialNumber?: string
  /** How Edgehog associates the device with its system model. */
  readonly partNumber?: string
  readonly leds: readonly LedConfig[]
  /** Absent when none are configured. */
  readonly sensors?: readonly SensorConfig[]
  /** Absent when none are configured. */
  readonly gpio?: readonly GpioConfig[]
}

/** `[base_image]`: the installed image when `/etc/os-release` has no `IMAGE_ID`/`IMAGE_VERSION`. */
export interface BaseImageConfig {
  readonly name?: string
  /** SemVer (Edgehog's update campaigns parse it). */
  readonly version?: string
}

/** `[reboot]`: how the `Commands` Reboot request reboots the system. */
export interface RebootConfig {
  /** argv run to reboot; default `systemctl reboot`. */
  readonly command: readonly string[]
}

/** The whole configuration, validated, defaults applied. */
export interface AgentConfig {
  readonly astarteLibrary: 'astarte-device-sdk' | 'astarte-message-hub'
  readonly interfacesDirectory?: string
  readonly storeDirectory: string
  /** Default `<store_directory>/download`. */
  readonly downloadDirectory: string
  readonly astarteDeviceSdk?: AstarteDeviceSdkConfig
  readonly astarteMessageHub?: { readonly endpoint: string }
  readonly telemetryConfig: readonly TelemetryEntryConfig[]
  readonly ota: OtaConfig
  readonly containers: ContainersConfig
  readonly fileTransfer: FileTransferConfig
  readonly service: ServiceConfig
  readonly agent: AgentSection
  readonly hardware: HardwareConfig
  readonly baseImage: BaseImageConfig
  readonly reboot: RebootConfig
  /** `[[flows]]`: dataflows from the endpoints to Astarte and back. */
  readonly flows: readonly FlowEntry[]
  /** `[dataflow] processor_modules`: JavaScript modules exporting user `processors`. */
  readonly processorModules: readonly string[]
}

/** One thing wrong with a configuration: the key path (`astarte_device_sdk.realm`) and why. */
export interface ConfigProblem {
  /** Dotted TOML key path, `[i]` for array entries; `''` for the whole file. */
  readonly path: string
  readonly message: string
}
