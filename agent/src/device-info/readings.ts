/**
 * @module device-info readings: what each Edgehog device-information interface says about this
 * machine, as `path → value` maps taken from a `SystemSource` and the agent's options. Only
 * values the machine (or the configuration) really has appear: an empty map means the interface
 * isn't declared.
 */
import type { AstarteValue, Logger } from '@astarte-ts/sdk-core'
import type { SystemSource } from '../system/index.js'
import { EDGEHOG } from './edgehog-interfaces.js'

/** `path → value` of one properties interface. */
export type PropertyValues = ReadonlyMap<string, AstarteValue>

/** The BaseImage fields given by configuration, for an image whose os-release lacks them. */
export interface BaseImageOptions {
  readonly name?: string
  /** SemVer: Edgehog's update campaigns refuse a device whose version doesn't parse. */
  readonly version?: string
  readonly buildId?: string
  readonly fingerprint?: string
}

/** RuntimeInfo fields; defaults name this agent. */
export interface RuntimeInfoOptions {
  readonly name?: string
  readonly version?: string
  readonly url?: string
  readonly environment?: string
}

/** What the readings need besides the machine. */
export interface ReadingOptions {
  readonly serialNumber?: string
  readonly partNumber?: string
  readonly baseImage?: BaseImageOptions
  readonly runtime: Required<Pick<RuntimeInfoOptions, 'name' | 'environment'>> & RuntimeInfoOptions
}

/** The device-information interfaces, by full name. */
export const DEVICE_INFO_INTERFACES = [
  `${EDGEHOG}OSInfo`,
  `${EDGEHOG}HardwareInfo`,
  `${EDGEHOG}RuntimeInfo`,
  `${EDGEHOG}SystemInfo`,
  `${EDGEHOG}BaseImage`,
  `${EDGEHOG}NetworkInterfaceProperties`,
] as const

/** Kernel command-line keys of edgehog-device-runtime for the SystemInfo fields. */
const SERIAL_KEY = 'edgehog_system_serial_number'
const PART_KEY = 'edgehog_system_part_number'

function values(
  entries: ReadonlyArray<readonly [string, AstarteValue | undefined]>,
): PropertyValues {
  const out = new Map<string, AstarteValue>()
  for (const [path, value] of entries) {
    if (value !== undefined && value !== '') out.set(path, value)
  }
  return out
}

/**
 * Reads every device-information interface. A reading the machine refuses is logged and leaves
 * that interface empty; the others are still read.
 */
export async function readDeviceInfo(
  system: SystemSource,
  options: ReadingOptions,
  logger: Logger,
): Promise<Map<string, PropertyValues>> {
  const guard = async (
    name: string,
    read: () => Promise<PropertyValues>,
  ): Promise<PropertyValues> => {
    try {
      return await read()
    } catch (e) {
      logger.log('warn', `couldn't read ${name} from the system`, {
        interfaceName: name,
        error: e instanceof Error ? e.message : String(e),
      })
      return new Map()
    }
  }
  const osRelease = await system.osRelease().catch(() => undefined)
  const [os, hardware, runtime, systemInfo, baseImage, network] = DEVICE_INFO_INTERFACES
  const out = new Map<string, PropertyValues>()
  out.set(
    os,
    values([
      ['/osName', osRelease?.['NAME']],
      ['/osVersion', osRelease?.['VERSION_ID'] || osRelease?.['BUILD_ID']],
    ]),
  )
  out.set(
    hardware,
    await guard(hardware, async () => {
      const cpu = await system.cpuInfo()
      const mem = await system.memoryInfo()
      return values([
        ['/cpu/architecture', system.architecture()],
        ['/cpu/model', cpu.model],
        ['/cpu/modelName', cpu.modelName],
        ['/cpu/vendor', cpu.vendor],
        ['/mem/totalBytes', mem.totalBytes],
      ])
    }),
  )
  const r = options.runtime
  out.set(
    runtime,
    values([
      ['/name', r.name],
      ['/url', r.url],
      ['/version', r.version],
      ['/environment', r.environment],
    ]),
  )
  out.set(
    systemInfo,
    await guard(systemInfo, async () => {
      const cmdline =
        options.serialNumber !== undefined && options.partNumber !== undefined
          ? {}
          : await system.kernelParameters()
      return values([
        ['/serialNumber', options.serialNumber ?? cmdline[SERIAL_KEY]],
        ['/partNumber', options.partNumber ?? cmdline[PART_KEY]],
      ])
    }),
  )
  const image = options.baseImage ?? {}
  // The image's own os-release describes it best; the configuration stands in where it is silent.
  const imageVersion = osRelease?.['IMAGE_VERSION'] || image.version
  const plus = imageVersion?.indexOf('+') ?? -1
  out.set(
    baseImage,
    values([
      ['/name', osRelease?.['IMAGE_ID'] || image.name],
      ['/version', imageVersion],
      // SemVer build metadata; `/version` keeps it too, campaigns compare the whole string.
      ['/buildId', plus >= 0 ? imageVersion?.slice(plus + 1) : image.buildId],
      ['/fingerprint', image.fingerprint],
    ]),
  )
  out.set(
    network,
    await guard(network, async () => {
      const entries: Array<[string, AstarteValue | undefined]> = []
      for (const nic of await system.networkInterfaces()) {
        entries.push([`/${nic.name}/macAddress`, nic.macAddress])
        entries.push([`/${nic.name}/technologyType`, nic.technologyType])
      }
      return values(entries)
    }),
  )
  return out
}
