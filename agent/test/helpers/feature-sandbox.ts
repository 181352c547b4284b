/**
 * Shared setup of the device-info and telemetry suites: a real sandbox (TLS broker, Pairing,
 * AppEngine) with the Edgehog interfaces installed, a runtime-node device opened with a feature's
 * interfaces, the feature started on manual time, and reads back through AppEngine.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import {
  randomDeviceId,
  type Clock,
  type Interface,
  type LogLevel,
  type Logger,
  type ServerMessage,
  type Timers,
} from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { Device } from '@astarte-ts/runtime-node'
import { ManualClock } from '@astarte-ts/runtime-testing'
import type { Feature } from '../../src/core/feature.js'
import { shippedEdgehogDirectory } from '../../src/device-info/index.js'

export const quiet: Logger = { log: () => undefined }

export interface Env {
  readonly sandbox: Sandbox
  readonly tmp: string
  api(method: string, path: string, data?: unknown): Promise<{ status: number; data: unknown }>
  /** `GET devices/<id>/interfaces/<name><path>`'s data; throws on any status but 200. */
  read(deviceId: string, interfaceName: string, path?: string): Promise<unknown>
  stop(): Promise<void>
}

/** Starts a sandbox with every Edgehog interface installed. */
export async function startEnv(): Promise<Env> {
  const tmp = await mkdtemp(join(tmpdir(), 'astarte-agent-'))
  const sandbox = await startSandbox({ logger: quiet, dataDir: join(tmp, 'sandbox') })
  const dir = shippedEdgehogDirectory()
  await sandbox.installInterfaces(dir)
  const api: Env['api'] = (method, path, data) => sandbox.appEngine(method, path, data)
  return {
    sandbox,
    tmp,
    api,
    async read(deviceId, interfaceName, path = '') {
      const res = await api('GET', `devices/${deviceId}/interfaces/${interfaceName}${path}`)
      if (res.status !== 200) {
        throw new Error(`GET ${interfaceName}${path}: ${res.status} ${JSON.stringify(res.data)}`)
      }
      return res.data
    },
    async stop() {
      await sandbox.stop()
      await rm(tmp, { recursive: true, force: true })
    },
  }
}

/** `Timers` and `Clock` on runtime-testing's `ManualClock`: time moves only by `advance`. */
export class ManualTime implements Timers, Clock {
  readonly clock: ManualClock
  #next = 0

  constructor(startMs: number) {
    this.clock = new ManualClock(startMs)
  }

  now(): number {
    return this.clock.now()
  }

  set(fn: () => void, delayMs: number): unknown {
    const id = `t${this.#next++}`
    this.clock.set(id, this.clock.now() + delayMs, fn)
    return id
  }

  clear(handle: unknown): void {
    this.clock.cancel(handle as string)
  }

  advance(ms: number): void {
    this.clock.advance(ms)
  }

  /** When each pending timer fires, soonest first. */
  pendingAt(): number[] {
    return this.clock.pending().map((id) => this.clock.timerAt(id) ?? NaN)
  }
}

/** A logger that keeps what it is given, for assertions on warnings. */
export class RecordingLogger implements Logger {
  readonly entries: Array<{ level: LogLevel; message: string; ctx: Record<string, unknown> }> = []
  log(level: LogLevel, message: string, ctx: Readonly<Record<string, unknown>> = {}): void {
    this.entries.push({ level, message, ctx: { ...ctx } })
  }
  warnings(): Array<{ message: string; ctx: Record<string, unknown> }> {
    return this.entries.filter((e) => e.level === 'warn')
  }
}

export interface Running {
  readonly device: Device
  readonly deviceId: string
  readonly interfaces: readonly Interface[]
  stop(): Promise<void>
}

/** Opens and connects a device declaring `features`' interfaces, routing server data to them. */
export async function openDevice(
  env: Env,
  features: readonly Feature[],
  options: {
    readonly deviceId?: string
    readonly storeDir?: string
    /** Where server data goes instead of the owning feature (a test that replaces a feature). */
    readonly route?: (message: ServerMessage) => void
  } = {},
): Promise<Running> {
  const owned = await Promise.all(features.map((f) => f.interfaces()))
  const interfaces = owned.flat()
  const deviceId = options.deviceId ?? randomDeviceId(new Uint8Array(randomBytes(16)))
  const device = await Device.open({
    realm: env.sandbox.realm,
    pairingUrl: env.sandbox.pairingUrl,
    deviceId,
    pairingJwt: env.sandbox.jwt,
    interfaces,
    storeDir: options.storeDir ?? (await mkdtemp(join(env.tmp, 'store-'))),
    caPem: env.sandbox.caPem,
    logger: quiet,
    backoff: { minMs: 100, maxMs: 1000 },
  })
  device.on('data', (message) => {
    if (options.route !== undefined) return options.route(message)
    features.forEach((f, i) => {
      if (owned[i]?.some((x) => x.name === message.interfaceName)) f.onServerMessage?.(message)
    })
  })
  await device.connect()
  return { device, deviceId, interfaces, stop: () => device.close() }
}

export { eventually } from '@astarte-ts/runtime-testing'
