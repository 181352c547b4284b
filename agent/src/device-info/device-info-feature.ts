/**
 * @module device-info feature: the Edgehog device-information properties (OSInfo, HardwareInfo,
 * RuntimeInfo, SystemInfo, BaseImage, NetworkInterfaceProperties), published at start and, on a
 * refresh period, whenever a value changed. Interfaces with no value on this machine are never
 * declared. A value equal to the device's cached one isn't sent again; a network interface that
 * disappeared is unset (its mappings allow it).
 */
import type { AstarteValue, Interface, Logger, TimerHandle } from '@astarte-ts/sdk-core'
import type { Feature, FeatureContext } from '../core/feature.js'
import { packageInfo } from '../package-info.js'
import { linuxSystemSource, type SystemSource } from '../system/index.js'
import { EDGEHOG, loadEdgehogInterface } from './edgehog-interfaces.js'
import {
  DEVICE_INFO_INTERFACES,
  readDeviceInfo,
  type BaseImageOptions,
  type PropertyValues,
  type ReadingOptions,
  type RuntimeInfoOptions,
} from './readings.js'

/** Options of `deviceInfoFeatures`. */
export interface DeviceInfoOptions {
  /** The machine read (default: this Linux machine, `linuxSystemSource()`). */
  readonly system?: SystemSource
  /** SystemInfo `/serialNumber`; default the kernel command line's `edgehog_system_serial_number`. */
  readonly serialNumber?: string
  /** SystemInfo `/partNumber` (how Edgehog finds the System Model); default the kernel command line's `edgehog_system_part_number`. */
  readonly partNumber?: string
  /** BaseImage fields where os-release has no `IMAGE_ID` / `IMAGE_VERSION`. */
  readonly baseImage?: BaseImageOptions
  /** RuntimeInfo fields; default this agent's name, package version and url, and `Node <version>`. */
  readonly runtime?: RuntimeInfoOptions
  /** Seconds between two reads looking for changed values; 0 reads only at start. Default 60. */
  readonly refreshSeconds?: number
  /** Where the interface files are (the config's `interfaces_directory`); default the shipped set. */
  readonly interfacesDirectory?: string
}

/** The agent's own RuntimeInfo name. */
export const AGENT_NAME = 'astarte-ts-agent'

const NETWORK = `${EDGEHOG}NetworkInterfaceProperties`

/** The device-information features (one: `device-info`). */
export function deviceInfoFeatures(options: DeviceInfoOptions = {}): Feature[] {
  return [new DeviceInfoFeature(options)]
}

class DeviceInfoFeature implements Feature {
  readonly name = 'device-info'
  readonly #options: DeviceInfoOptions
  readonly #system: SystemSource
  #readingOptions: ReadingOptions | undefined
  #declared: Interface[] | undefined
  #context: FeatureContext | undefined
  #timer: TimerHandle | undefined
  #refreshing: Promise<void> | undefined
  readonly #inFlight = new Set<Promise<unknown>>()
  #stopped = false

  constructor(options: DeviceInfoOptions) {
    this.#options = options
    this.#system = options.system ?? linuxSystemSource()
  }

  async interfaces(): Promise<readonly Interface[]> {
    if (this.#declared !== undefined) return this.#declared
    const readings = await this.#read(silent)
    const declared: Interface[] = []
    for (const name of DEVICE_INFO_INTERFACES) {
      if ((readings.get(name)?.size ?? 0) === 0) continue
      declared.push(await loadEdgehogInterface(name, this.#options.interfacesDirectory))
    }
    this.#declared = declared
    return declared
  }

  async start(context: FeatureContext): Promise<void> {
    this.#context = context
    const declared = await this.interfaces()
    if (declared.length === 0) {
      context.logger.log('info', 'no device information to publish on this machine')
    }
    await this.#publish()
    this.#schedule()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) this.#context?.timers.clear(this.#timer)
    this.#timer = undefined
    await this.#refreshing
    await Promise.allSettled([...this.#inFlight])
  }

  #schedule(): void {
    const seconds = this.#options.refreshSeconds ?? 60
    const context = this.#context
    if (this.#stopped || context === undefined || !(seconds > 0)) return
    this.#timer = context.timers.set(() => {
      this.#timer = undefined
      this.#refreshing = this.#publish()
        .catch((e: unknown) => {
          context.logger.log('warn', "couldn't refresh the device information", {
            error: e instanceof Error ? e.message : String(e),
          })
        })
        .finally(() => {
          this.#refreshing = undefined
          this.#schedule()
        })
    }, seconds * 1000)
  }

  async #read(logger: Logger): Promise<Map<string, PropertyValues>> {
    this.#readingOptions ??= {
      ...(this.#options.serialNumber === undefined
        ? {}
        : { serialNumber: this.#options.serialNumber }),
      ...(this.#options.partNumber === undefined ? {} : { partNumber: this.#options.partNumber }),
      ...(this.#options.baseImage === undefined ? {} : { baseImage: this.#options.baseImage }),
      runtime: { ...(await agentRuntimeInfo()), ...this.#options.runtime },
    }
    return readDeviceInfo(this.#system, this.#readingOptions, logger)
  }

  /** Sets what changed since the device's cache (or the last publication), unsets vanished NICs. */
  async #publish(): Promise<void> {
    const context = this.#context
    if (context === undefined || this.#stopped) return
    const { device, logger } = context
    const readings = await this.#read(logger)
    for (const iface of this.#declared ?? []) {
      const now = readings.get(iface.name) ?? new Map<string, AstarteValue>()
      for (const [path, value] of now) {
        if (sameValue(device.getProperty(iface.name, path), value)) continue
        this.#track(device.setProperty(iface.name, path, value), iface.name, path, logger)
      }
      if (iface.name === NETWORK) {
        const cached = device.properties({ interfaceName: NETWORK, ownership: 'device' })
        for (const { path } of cached) {
          if (!now.has(path))
            this.#track(device.unsetProperty(NETWORK, path), NETWORK, path, logger)
        }
      }
    }
  }

  #track(p: Promise<void>, interfaceName: string, path: string, logger: Logger): void {
    const tracked = p.catch((e: unknown) => {
      logger.log('warn', `couldn't publish ${interfaceName}${path}`, {
        interfaceName,
        path,
        error: e instanceof Error ? e.message : String(e),
      })
    })
    this.#inFlight.add(tracked)
    void tracked.finally(() => this.#inFlight.delete(tracked))
  }
}

/** Before `start` there is no logger: a failed reading is logged by `start`'s own read. */
const silent: Logger = { log: () => undefined }

/** Equal Astarte values; a cached longinteger may come back as a bigint or a safe integer. */
function sameValue(a: unknown, b: AstarteValue): boolean {
  const whole = (x: unknown): x is bigint | number =>
    typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x))
  return whole(a) && whole(b) ? BigInt(a) === BigInt(b) : a === b
}

/** This agent's RuntimeInfo defaults: its package's version and homepage, the Node version. */
async function agentRuntimeInfo(): Promise<ReadingOptions['runtime']> {
  const pkg = packageInfo()
  const repo = pkg.repository
  const url =
    typeof pkg.homepage === 'string'
      ? pkg.homepage
      : typeof repo === 'object' &&
          repo !== null &&
          typeof (repo as { url?: unknown }).url === 'string'
        ? (repo as { url: string }).url
        : undefined
  return {
    name: AGENT_NAME,
    environment: `Node ${process.versions.node}`,
    ...(typeof pkg.version === 'string' ? { version: pkg.version } : {}),
    ...(url === undefined ? {} : { url }),
  }
}
