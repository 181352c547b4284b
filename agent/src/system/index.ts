export type {
  BatteryEntry,
  BatteryState,
  CpuInfo,
  MemoryInfo,
  NetworkInterfaceEntry,
  OsRelease,
  StorageEntry,
  SystemSource,
  TechnologyType,
  WifiAccessPoint,
} from './system-source.js'
export { linuxSystemSource, type LinuxSystemSourceOptions } from './linux-system-source.js'
