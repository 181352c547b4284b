/**
 * @module system source: the port through which the agent reads the machine it runs on. Every
 * reading is taken afresh (no caching: device information is compared against the last published
 * value, telemetry samples the present). A reading the machine doesn't offer is `undefined` or an
 * empty list, never a made-up value: absent hardware means the interface isn't declared.
 */

/** `/etc/os-release` (or `/usr/lib/os-release`) as its `KEY=value` pairs, quotes removed. */
export type OsRelease = Readonly<Record<string, string>>

/** The first processor's fields of `/proc/cpuinfo` the agent reports, each only when present. */
export interface CpuInfo {
  /** `model` */
  readonly model?: string
  /** `model name` */
  readonly modelName?: string
  /** `vendor_id` */
  readonly vendor?: string
}

/** `/proc/meminfo`, in bytes. */
export interface MemoryInfo {
  readonly totalBytes: bigint
  /** `MemAvailable`: what new work can use without swapping. */
  readonly availableBytes: bigint
}

/** One mounted block device. */
export interface StorageEntry {
  /** The device name without `/dev/` (`vda`, `mmcblk0p2`). */
  readonly label: string
  readonly mountPoint: string
  readonly totalBytes: bigint
  /** Available to unprivileged users (`statfs` `bavail`). */
  readonly freeBytes: bigint
}

/** Edgehog's `technologyType` values the agent can tell apart. */
export type TechnologyType = 'Ethernet' | 'WiFi' | 'Cellular'

/** One physical network interface. */
export interface NetworkInterfaceEntry {
  readonly name: string
  /** Lower-case, colon-separated; absent on links without one (PPP). */
  readonly macAddress?: string
  readonly technologyType: TechnologyType
}

/** Edgehog's BatteryStatus `status` values. */
export type BatteryState =
  'Charging' | 'Discharging' | 'Idle' | 'EitherIdleOrCharging' | 'Failure' | 'Removed' | 'Unknown'

/** One battery of `/sys/class/power_supply`. */
export interface BatteryEntry {
  /** Its serial number, or its power-supply name when it has none. */
  readonly slot: string
  readonly levelPercentage: number
  readonly levelAbsoluteError: number
  readonly status: BatteryState
}

/** One access point of a Wi-Fi scan. */
export interface WifiAccessPoint {
  readonly channel: number
  readonly connected: boolean
  readonly essid: string
  /** Lower-case BSSID. */
  readonly macAddress: string
  /** dBm. */
  readonly rssi: number
}

/** Reads the machine. Each method may reject when the machine refuses a read. */
export interface SystemSource {
  osRelease(): Promise<OsRelease | undefined>
  /** The CPU architecture as Rust names targets: `x86_64`, `aarch64`, `arm`, `riscv64`, … */
  architecture(): string
  cpuInfo(): Promise<CpuInfo>
  memoryInfo(): Promise<MemoryInfo>
  bootId(): Promise<string>
  uptimeMillis(): Promise<number>
  /** Threads of every process (the scheduler's entities). */
  taskCount(): Promise<number>
  /** The kernel command line's `key=value` words. */
  kernelParameters(): Promise<Readonly<Record<string, string>>>
  storage(): Promise<StorageEntry[]>
  networkInterfaces(): Promise<NetworkInterfaceEntry[]>
  batteries(): Promise<BatteryEntry[]>
  /** Whether a Wi-Fi scanner (NetworkManager with a Wi-Fi device) is present. */
  hasWifi(): Promise<boolean>
  wifiScan(): Promise<WifiAccessPoint[]>
}
