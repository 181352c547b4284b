/**
 * @module telemetry feature: the periodic Edgehog datastreams (SystemStatus, StorageUsage, and
 * where the machine has them BatteryStatus and WiFiScanResults) on the schedule spec §5 gives:
 * `[[telemetry_config]]` entries, overridden at run time through `config.Telemetry` (persisted in
 * `<stateDir>/telemetry.json`, re-applied at start; an unset reverts to the configuration). Each
 * change restarts that interface's task, which samples at once and then every period, start to
 * start, on the context's `Timers` and `Clock`. Bad server data is logged with its path and ignored.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  SdkError,
  type Interface,
  type Logger,
  type ServerMessage,
  type TimerHandle,
} from '@astarte-ts/sdk-core'
import type { Feature, FeatureContext } from '../core/feature.js'
import { loadEdgehogInterface } from '../device-info/edgehog-interfaces.js'
import { linuxSystemSource, type SystemSource } from '../system/index.js'
import { SAMPLERS, type Sampler } from './samplers.js'
import {
  applyChange,
  checkPeriod,
  effectiveSchedule,
  overridesFromJson,
  overridesToJson,
  readOverrideMessage,
  runs,
  TELEMETRY_CONFIG,
  type Override,
  type TelemetryConfigEntry,
} from './settings.js'

/** Options of `telemetryFeature`. */
export interface TelemetryOptions {
  /** The machine sampled (default: this Linux machine, `linuxSystemSource()`). */
  readonly system?: SystemSource
  /** The configuration's `[[telemetry_config]]` entries. */
  readonly config?: readonly TelemetryConfigEntry[]
  /** Where the interface files are (the config's `interfaces_directory`); default the shipped set. */
  readonly interfacesDirectory?: string
}

/** The file, in the feature's state directory, holding the server's overrides. */
export const OVERRIDES_FILE = 'telemetry.json'

/** Node's timers overflow past 2^31-1 ms: a longer period waits in hops of at most this. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The telemetry feature, which also tells the schedule in force. */
export interface TelemetryFeature extends Feature {
  /** The schedule in force per declared periodic interface (for logs and status). */
  schedules(): Record<string, { enabled: boolean; periodSeconds: number }>
}

/** The telemetry feature (`telemetry`). */
export function telemetryFeature(options: TelemetryOptions = {}): TelemetryFeature {
  return new Telemetry(options)
}

interface Task {
  handle: TimerHandle | undefined
}

class Telemetry implements TelemetryFeature {
  readonly name = 'telemetry'
  readonly #options: TelemetryOptions
  readonly #system: SystemSource
  #present: Map<string, Sampler> | undefined
  #declared: Interface[] | undefined
  readonly #config = new Map<string, Override>()
  #overrides = new Map<string, Override>()
  readonly #tasks = new Map<string, Task>()
  readonly #early: ServerMessage[] = []
  #context: FeatureContext | undefined
  readonly #inFlight = new Set<Promise<void>>()
  #writing: Promise<void> = Promise.resolve()
  #stopped = false

  constructor(options: TelemetryOptions) {
    this.#options = options
    this.#system = options.system ?? linuxSystemSource()
  }

  async interfaces(): Promise<readonly Interface[]> {
    if (this.#declared !== undefined) return this.#declared
    const present = new Map<string, Sampler>()
    for (const sampler of SAMPLERS) {
      const has = await sampler.present(this.#system).catch(() => false)
      if (has) present.set(sampler.interfaceName, sampler)
    }
    const dir = this.#options.interfacesDirectory
    const declared = [await loadEdgehogInterface(TELEMETRY_CONFIG, dir)]
    for (const name of present.keys()) declared.push(await loadEdgehogInterface(name, dir))
    this.#present = present
    this.#declared = declared
    return declared
  }

  async start(context: FeatureContext): Promise<void> {
    await this.interfaces()
    const logger = context.logger
    this.#readConfig(logger)
    this.#overrides = await this.#loadOverrides(context)
    this.#context = context
    // Data that came before `start` only updates the overrides: the tasks start once, below.
    for (const message of this.#early.splice(0)) this.#apply(message, context)
    const handovers: Array<Promise<void>> = []
    for (const [name, sampler] of this.#present ?? []) {
      const schedule = effectiveSchedule(this.#config.get(name), this.#overrides.get(name))
      if (runs(schedule)) handovers.push(this.#restart(name))
      else if (sampler.atStart) handovers.push(this.#sample(sampler))
    }
    await Promise.all(handovers)
    logger.log('info', 'telemetry started', { schedules: this.schedules() })
  }

  onServerMessage(message: ServerMessage): void {
    const context = this.#context
    if (context === undefined) {
      if (!this.#stopped) this.#early.push(message)
      return
    }
    const changed = this.#apply(message, context)
    if (changed !== undefined) void this.#restart(changed)
  }

  /** Applies one config.Telemetry message; the interface whose override changed, if one did. */
  #apply(message: ServerMessage, context: FeatureContext): string | undefined {
    const { interfaceName, path } = message
    const refuse = (reason: string): undefined => {
      context.logger.log(
        'warn',
        `ignored telemetry configuration at ${interfaceName}${path}: ${reason}`,
        { interfaceName, path },
      )
      return undefined
    }
    if (interfaceName !== TELEMETRY_CONFIG) return refuse('not a telemetry interface')
    const read = readOverrideMessage(message)
    if (!read.ok) return refuse(read.reason)
    const { change } = read
    if (this.#present?.has(change.interfaceName) !== true) {
      return refuse(`${change.interfaceName} is not a telemetry interface of this device`)
    }
    const current = this.#overrides.get(change.interfaceName)
    const next = applyChange(current, change)
    // Astarte re-delivers server properties after a clean session: the same value changes nothing.
    if (next?.enabled === current?.enabled && next?.period === current?.period) return undefined
    if (next === undefined) this.#overrides.delete(change.interfaceName)
    else this.#overrides.set(change.interfaceName, next)
    context.logger.log('info', `telemetry of ${change.interfaceName} overridden by the server`, {
      interfaceName: change.interfaceName,
      path,
      override: next ?? {},
    })
    this.#persist(context)
    return change.interfaceName
  }

  async stop(): Promise<void> {
    this.#stopped = true
    for (const task of this.#tasks.values()) this.#clear(task)
    this.#tasks.clear()
    await this.#writing
    await Promise.allSettled([...this.#inFlight])
    this.#context = undefined
  }

  schedules(): Record<string, { enabled: boolean; periodSeconds: number }> {
    const out: Record<string, { enabled: boolean; periodSeconds: number }> = {}
    for (const name of this.#present?.keys() ?? []) {
      out[name] = effectiveSchedule(this.#config.get(name), this.#overrides.get(name))
    }
    return out
  }

  #readConfig(logger: Logger): void {
    this.#config.clear()
    for (const entry of this.#options.config ?? []) {
      const name = entry.interface_name
      if (!SAMPLERS.some((s) => s.interfaceName === name)) {
        logger.log(
          'warn',
          `ignored telemetry_config entry: ${name} is not a telemetry interface of this agent`,
          {
            interfaceName: name,
          },
        )
        continue
      }
      if (this.#present?.has(name) !== true) {
        logger.log('info', `telemetry_config entry of ${name} unused: not on this machine`, {
          interfaceName: name,
        })
      }
      const period = entry.period === undefined ? undefined : checkPeriod(entry.period)
      if (entry.period !== undefined && period === undefined) {
        logger.log('warn', `ignored telemetry_config period of ${name}: out of range`, {
          interfaceName: name,
          period: entry.period,
        })
      }
      this.#config.set(name, {
        ...(entry.enabled === undefined ? {} : { enabled: entry.enabled }),
        ...(period === undefined ? {} : { period }),
      })
    }
  }

  async #loadOverrides(context: FeatureContext): Promise<Map<string, Override>> {
    const file = join(context.stateDir, OVERRIDES_FILE)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        context.logger.log('warn', `couldn't read the telemetry overrides ${file}`, {
          file,
          error: e instanceof Error ? e.message : String(e),
        })
      }
      return new Map()
    }
    const report = (what: string): void =>
      context.logger.log('warn', `ignored part of the telemetry overrides ${file}: ${what}`, {
        file,
      })
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      report('not JSON')
      return new Map()
    }
    const loaded = overridesFromJson(json, report)
    for (const name of loaded.keys()) {
      if (this.#present?.has(name) !== true) loaded.delete(name)
    }
    return loaded
  }

  /** Writes the overrides (write then rename: a crash leaves the old file or the new, whole). */
  #persist(context: FeatureContext): void {
    const file = join(context.stateDir, OVERRIDES_FILE)
    const text = overridesToJson(this.#overrides)
    this.#writing = this.#writing.then(async () => {
      try {
        await mkdir(context.stateDir, { recursive: true, mode: 0o700 })
        await writeFile(`${file}.tmp`, text)
        await rename(`${file}.tmp`, file)
      } catch (e) {
        context.logger.log('warn', `couldn't save the telemetry overrides ${file}`, {
          file,
          error: e instanceof Error ? e.message : String(e),
        })
      }
    })
  }

  /**
   * (Re)starts an interface's task: a sample now, then one every period; none when it is off.
   * Resolves once the first sample was handed to the device.
   */
  #restart(name: string): Promise<void> {
    const old = this.#tasks.get(name)
    if (old !== undefined) this.#clear(old)
    this.#tasks.delete(name)
    const sampler = this.#present?.get(name)
    if (sampler === undefined || this.#stopped) return Promise.resolve()
    const schedule = effectiveSchedule(this.#config.get(name), this.#overrides.get(name))
    if (!runs(schedule)) return Promise.resolve()
    const task: Task = { handle: undefined }
    this.#tasks.set(name, task)
    const periodMs = schedule.periodSeconds * 1000
    const tick = (): Promise<void> => {
      this.#arm(task, periodMs, () => void tick())
      return this.#sample(sampler)
    }
    return tick()
  }

  #arm(task: Task, delayMs: number, fire: () => void): void {
    const timers = this.#context?.timers
    if (timers === undefined) return
    const step = Math.min(delayMs, MAX_TIMER_MS)
    task.handle = timers.set(() => {
      task.handle = undefined
      if (delayMs > step) this.#arm(task, delayMs - step, fire)
      else fire()
    }, step)
  }

  #clear(task: Task): void {
    if (task.handle !== undefined) this.#context?.timers.clear(task.handle)
    task.handle = undefined
  }

  /**
   * One sample, timestamped when taken (the interfaces' `explicit_timestamp`; one time for a whole
   * Wi-Fi scan). Resolves once handed to the device; the sends' outcomes are awaited by `stop`.
   */
  #sample(sampler: Sampler): Promise<void> {
    const context = this.#context
    if (context === undefined) return Promise.resolve()
    const { device, logger } = context
    const timestamp = new Date(context.clock.now())
    const name = sampler.interfaceName
    const handedOver = sampler
      .sample(this.#system)
      .then((objects) =>
        objects.map((o) => device.sendObject(name, o.path, o.value, { timestamp })),
      )
    const outcome = handedOver
      .then((sends) => Promise.all(sends))
      .then(
        () => undefined,
        (e: unknown) => {
          const code = e instanceof SdkError ? e.code : undefined
          // Telemetry's retention is discard: a sample taken while offline is dropped by design.
          const offline = code === 'local.offline_discarded' || code === 'local.connection_lost'
          logger.log(offline ? 'debug' : 'warn', `couldn't send telemetry on ${name}`, {
            interfaceName: name,
            error: e instanceof Error ? e.message : String(e),
          })
        },
      )
    this.#inFlight.add(outcome)
    void outcome.finally(() => this.#inFlight.delete(outcome))
    return handedOver.then(
      () => undefined,
      () => undefined,
    )
  }
}
