/**
 * @module agent: runs the feature modules on one device. Two steps, because a device declares its
 * interfaces when it opens: `Agent.interfacesOf(features)` asks every feature for its interfaces
 * (each interface owned by exactly one feature), the caller opens the device with them, then
 * `new Agent({ device, features, … })` starts the features, routes the server data of each
 * interface to the feature that owns it, and shuts everything down in order: features stop,
 * their in-flight publications settle (bounded), the device closes.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  SdkError,
  type AstarteDevice,
  type Clock,
  type DeviceEvents,
  type DeviceStateName,
  type Interface,
  type Logger,
  type ServerMessage,
  type Timers,
} from '@astarte-ts/sdk-core'
import type { Feature, FeatureContext } from './feature.js'
import { childLogger } from './logger.js'
import { TrackedDevice } from './tracked-device.js'

/** The features with the interfaces each declared: what a device is opened with. */
export interface DeclaredFeatures {
  readonly features: readonly Feature[]
  /** Every feature's interfaces, in feature order: the device's introspection. */
  readonly interfaces: readonly Interface[]
  /** Interface name → the feature that owns it. */
  readonly owners: ReadonlyMap<string, Feature>
}

/** Options of {@link Agent}. */
export interface AgentOptions {
  /** Opened with `features.interfaces` (and nothing the features don't own); not connected yet. */
  readonly device: AstarteDevice
  readonly features: DeclaredFeatures
  readonly clock: Clock
  readonly timers: Timers
  /** Structured; the agent and its features never give it secrets. */
  readonly logger: Logger
  /** The agent's state directory (`store_directory`); each feature gets `<stateDir>/<name>`. */
  readonly stateDir: string
  /**
   * How long `stop()` waits for the features' publications still in flight before it closes the
   * device; default 10 s. Properties and `stored` datastreams are on disk by then either way.
   */
  readonly shutdownTimeoutMs?: number
  /**
   * A failure the agent can't recover from (the device's `error` event, a connect that can
   * only fail again): the caller stops the agent and exits non-zero, for its supervisor to
   * restart it.
   */
  readonly onFatal?: (error: unknown) => void
  /**
   * The device logs its own warnings to `logger` (runtime-node's `Device` opened with the same
   * logger): the agent then doesn't log its `warning` events a second time. Default false: a
   * device without a logger has its warnings logged by the agent.
   */
  readonly deviceLogsWarnings?: boolean
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000

/** The states a lost connection goes through on its way back (`error` and `closed` end it). */
const RECONNECTING: ReadonlySet<DeviceStateName> = new Set(['connecting', 'backoff', 'pairing'])

type FeatureState = 'idle' | 'starting' | 'running' | 'failed' | 'stopped'

/** The agent: features on one device, started and stopped together. */
export class Agent {
  /**
   * Asks every feature for its interfaces, before the device is opened with them. Rejects with
   * `local.invalid_config` when two features share a name or claim the same interface.
   */
  static async interfacesOf(features: readonly Feature[]): Promise<DeclaredFeatures> {
    const owners = new Map<string, Feature>()
    const interfaces: Interface[] = []
    const names = new Set<string>()
    for (const feature of features) {
      if (names.has(feature.name)) {
        throw new SdkError('local.invalid_config', `couldn't declare feature ${feature.name} twice`)
      }
      names.add(feature.name)
      for (const iface of await feature.interfaces()) {
        const owner = owners.get(iface.name)
        if (owner !== undefined) {
          throw new SdkError(
            'local.invalid_config',
            `couldn't declare ${iface.name} for ${feature.name}: ${owner.name} already owns it`,
          )
        }
        owners.set(iface.name, feature)
        interfaces.push(iface)
      }
    }
    return { features, interfaces, owners }
  }

  readonly #options: AgentOptions
  readonly #device: TrackedDevice
  readonly #logger: Logger
  readonly #states = new Map<Feature, FeatureState>()
  /** Server data that arrived while its feature was starting: delivered once it runs. */
  readonly #pending = new Map<Feature, ServerMessage[]>()
  #stopping: Promise<void> | undefined
  #started = false
  #failed = false
  /** Online since the last connect: a state after it is a lost connection, logged once. */
  #online = false
  /** The feature start in progress, which a stop lets finish (bounded) before stopping it. */
  #starting: Promise<void> | undefined

  constructor(options: AgentOptions) {
    this.#options = options
    this.#device = new TrackedDevice(options.device)
    this.#logger = options.logger
    for (const feature of options.features.features) this.#states.set(feature, 'idle')
  }

  /** The device as the features see it (publications tracked until they settle). */
  get device(): AstarteDevice {
    return this.#device
  }

  /**
   * Connects the device (in the background: retried with backoff until it can't be), then
   * starts the features one by one. A feature that fails to start is logged and left out; the
   * others run. Resolves once every feature's start settled.
   */
  async start(): Promise<void> {
    if (this.#started) throw new SdkError('local.invalid_state', "couldn't start the agent twice")
    this.#started = true
    const device = this.#options.device
    device.on('data', this.#onData)
    device.on('dataError', this.#onDataError)
    device.on('error', this.#onError)
    device.on('warning', this.#onWarning)
    device.on('stateChanged', this.#onState)
    device.connect().catch((error: unknown) => {
      if (this.#stopping === undefined) this.#fatal('the device could not connect', error)
    })
    for (const feature of this.#options.features.features) {
      if (this.#stopping !== undefined) return
      this.#starting = this.#startFeature(feature)
      await this.#starting
    }
    this.#starting = undefined
    if (this.#stopping !== undefined) return
    this.#logger.log('info', 'agent running', {
      deviceId: device.deviceId,
      features: this.#options.features.features.map((f) => f.name),
      interfaces: this.#options.features.interfaces.length,
    })
  }

  async #startFeature(feature: Feature): Promise<void> {
    const logger = childLogger(this.#logger, { feature: feature.name })
    const stateDir = join(this.#options.stateDir, feature.name)
    this.#states.set(feature, 'starting')
    try {
      await mkdir(stateDir, { recursive: true, mode: 0o700 })
      const context: FeatureContext = {
        device: this.#device,
        clock: this.#options.clock,
        timers: this.#options.timers,
        logger,
        stateDir,
      }
      await feature.start(context)
      // a stop that came meanwhile (and gave up waiting) has already stopped it
      if (this.#states.get(feature) !== 'starting') return
      this.#states.set(feature, 'running')
    } catch (error) {
      this.#states.set(feature, 'failed')
      this.#pending.delete(feature)
      logger.log('error', "couldn't start the feature: its interfaces stay declared, unserved", {
        error: describe(error),
      })
      return
    }
    const waiting = this.#pending.get(feature) ?? []
    this.#pending.delete(feature)
    for (const message of waiting) this.#deliver(feature, message)
  }

  /**
   * Stops the features (last started first), waits for their in-flight publications (at most
   * `shutdownTimeoutMs`), then closes the device. Idempotent: later calls share the first one's
   * outcome. Never rejects: what fails is logged.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#logger.log('info', 'agent stopping')
    if (this.#starting !== undefined && !(await this.#within(this.#starting))) {
      this.#logger.log('warn', 'stopping a feature whose start has not finished')
    }
    for (const feature of [...this.#options.features.features].reverse()) {
      const state = this.#states.get(feature)
      // a failed start may have left timers or files open: its stop releases them
      if (state === 'idle' || state === 'stopped') continue
      try {
        await feature.stop()
      } catch (error) {
        this.#logger.log('error', "couldn't stop the feature cleanly", {
          feature: feature.name,
          error: describe(error),
        })
      }
      this.#states.set(feature, 'stopped')
    }
    await this.#settleInFlight()
    const device = this.#options.device
    device.off('data', this.#onData)
    device.off('dataError', this.#onDataError)
    try {
      await device.close()
    } catch (error) {
      this.#logger.log('error', "couldn't close the device cleanly", { error: describe(error) })
    }
    device.off('error', this.#onError)
    device.off('warning', this.#onWarning)
    device.off('stateChanged', this.#onState)
    this.#logger.log('info', 'agent stopped')
  }

  async #settleInFlight(): Promise<void> {
    if (this.#device.inFlight === 0) return
    const timeoutMs = this.#options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
    this.#logger.log('info', 'waiting for publications in flight', {
      inFlight: this.#device.inFlight,
      timeoutMs,
    })
    if (!(await this.#within(this.#device.settled()))) {
      // the store keeps properties and stored datastreams; only volatile sends can be lost here
      this.#logger.log('warn', 'closing with publications still in flight', {
        inFlight: this.#device.inFlight,
      })
    }
  }

  /** Whether `work` settled within `shutdownTimeoutMs` (its outcome is not the stop's concern). */
  async #within(work: Promise<unknown>): Promise<boolean> {
    const timeoutMs = this.#options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
    let handle: unknown
    const timedOut = new Promise<false>((resolve) => {
      handle = this.#options.timers.set(() => resolve(false), timeoutMs)
    })
    const settled = work.then(
      () => true as const,
      () => true as const,
    )
    const inTime = await Promise.race([settled, timedOut])
    this.#options.timers.clear(handle)
    return inTime
  }

  readonly #onData = (message: ServerMessage): void => {
    const feature = this.#options.features.owners.get(message.interfaceName)
    if (feature === undefined) {
      this.#logger.log('warn', 'ignored server data: no feature owns its interface', {
        interfaceName: message.interfaceName,
        path: message.path,
      })
      return
    }
    const state = this.#states.get(feature)
    if (state === 'idle' || state === 'starting') {
      const waiting = this.#pending.get(feature) ?? []
      waiting.push(message)
      this.#pending.set(feature, waiting)
      return
    }
    if (state !== 'running') {
      this.#logger.log('warn', 'ignored server data: its feature is not running', {
        feature: feature.name,
        interfaceName: message.interfaceName,
        path: message.path,
      })
      return
    }
    this.#deliver(feature, message)
  }

  #deliver(feature: Feature, message: ServerMessage): void {
    if (feature.onServerMessage === undefined) {
      this.#logger.log('warn', 'ignored server data: its feature takes none', {
        feature: feature.name,
        interfaceName: message.interfaceName,
        path: message.path,
      })
      return
    }
    try {
      feature.onServerMessage(message)
    } catch (error) {
      // bad server data never stops the agent (spec §14: log and ignore)
      this.#logger.log('error', 'ignored server data: its feature threw', {
        feature: feature.name,
        interfaceName: message.interfaceName,
        path: message.path,
        error: describe(error),
      })
    }
  }

  readonly #onDataError = (event: DeviceEvents['dataError']): void => {
    this.#logger.log('warn', "ignored server data that doesn't fit its interface", {
      interfaceName: event.interfaceName,
      path: event.path,
      issues: event.issues.map((i) => `${i.path}: ${i.message}`),
    })
  }

  readonly #onWarning = (event: DeviceEvents['warning']): void => {
    if (this.#options.deviceLogsWarnings !== true) {
      this.#logger.log('warn', event.message, event.ctx)
    }
  }

  readonly #onState = (event: DeviceEvents['stateChanged']): void => {
    this.#logger.log('debug', 'device state', { state: event.state })
    // at info level, each connection and each loss of one: the retries in between are warnings
    if (event.state === 'online') {
      if (!this.#online) this.#logger.log('info', 'connected to Astarte')
      this.#online = true
    } else if (this.#online && event.state !== 'syncing') {
      this.#online = false
      if (this.#stopping === undefined && RECONNECTING.has(event.state)) {
        this.#logger.log('warn', 'lost the connection to Astarte, reconnecting', {
          state: event.state,
        })
      }
    }
  }

  readonly #onError = (error: DeviceEvents['error']): void => {
    if (this.#stopping === undefined) this.#fatal('the device failed', error)
  }

  #fatal(what: string, error: unknown): void {
    // the device's `error` event and the connect's rejection report one failure
    if (this.#failed) return
    this.#failed = true
    this.#logger.log('error', what, { error: describe(error) })
    this.#options.onFatal?.(error)
  }
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof SdkError) return { code: error.code, message: error.message, ...error.ctx }
  if (error instanceof Error) return { message: error.message }
  return { message: String(error) }
}
