/**
 * @module telemetry samplers: the periodic Edgehog interfaces this agent implements, whether the
 * machine has what each reports, and one sample of each as the objects to send (spec §6).
 */
import type { AstarteObjectValue } from '@astarte-ts/sdk-core'
import { EDGEHOG } from '../device-info/edgehog-interfaces.js'
import type { SystemSource } from '../system/index.js'

/** One object to send on a sampler's interface. */
export interface SampleObject {
  readonly path: string
  readonly value: AstarteObjectValue
}

export interface Sampler {
  readonly interfaceName: string
  /** Sent once at start even when no periodic task is enabled (as edgehog-device-runtime does). */
  readonly atStart: boolean
  /** Whether the machine has it: absent hardware, interface not declared. */
  present(system: SystemSource): Promise<boolean>
  sample(system: SystemSource): Promise<SampleObject[]>
}

export const SYSTEM_STATUS = `${EDGEHOG}SystemStatus`
export const STORAGE_USAGE = `${EDGEHOG}StorageUsage`
export const BATTERY_STATUS = `${EDGEHOG}BatteryStatus`
export const WIFI_SCAN_RESULTS = `${EDGEHOG}WiFiScanResults`

export const SAMPLERS: readonly Sampler[] = [
  {
    interfaceName: SYSTEM_STATUS,
    atStart: true,
    present: async () => true,
    async sample(system) {
      const [memory, bootId, taskCount, uptimeMillis] = await Promise.all([
        system.memoryInfo(),
        system.bootId(),
        system.taskCount(),
        system.uptimeMillis(),
      ])
      return [
        {
          path: '/systemStatus',
          value: {
            availMemoryBytes: memory.availableBytes,
            bootId,
            taskCount,
            uptimeMillis: BigInt(uptimeMillis),
          },
        },
      ]
    },
  },
  {
    interfaceName: STORAGE_USAGE,
    atStart: true,
    present: async (system) => (await system.storage()).length > 0,
    async sample(system) {
      return (await system.storage()).map((s) => ({
        path: `/${s.label}`,
        value: { totalBytes: s.totalBytes, freeBytes: s.freeBytes },
      }))
    },
  },
  {
    interfaceName: BATTERY_STATUS,
    atStart: false,
    present: async (system) => (await system.batteries()).length > 0,
    async sample(system) {
      return (await system.batteries()).map((b) => ({
        path: `/${b.slot}`,
        value: {
          levelPercentage: b.levelPercentage,
          levelAbsoluteError: b.levelAbsoluteError,
          status: b.status,
        },
      }))
    },
  },
  {
    interfaceName: WIFI_SCAN_RESULTS,
    atStart: true,
    present: (system) => system.hasWifi(),
    async sample(system) {
      return (await system.wifiScan()).map((ap) => ({
        path: '/ap',
        value: {
          channel: ap.channel,
          connected: ap.connected,
          essid: ap.essid,
          macAddress: ap.macAddress,
          rssi: ap.rssi,
        },
      }))
    },
  },
]
