/**
 * Shared setup of the commands and LED suites: a sandbox with every Edgehog interface installed,
 * an agent running one feature on a runtime-node device over mutual TLS, the feature's timers on
 * a manual clock, server data sent through the sandbox's AppEngine API.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomDeviceId, type Logger, type LogLevel, type Timers } from '@astarte-ts/sdk-core'
import { Device } from '@astarte-ts/runtime-node'
import { ManualClock } from '@astarte-ts/runtime-testing'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { Agent } from '../src/core/agent.js'
import type { Feature } from '../src/core/feature.js'

export const EDGEHOG_DIR = new URL('../../interfaces/edgehog/', import.meta.url).pathname

const quiet: Logger = { log: () => undefined }

/** `Timers` on a manual clock: they fire only when the test advances it. */
export function manualTimers(clock: ManualClock): Timers {
  let next = 0
  return {
    set: (fn, delayMs) => {
      const id = `t${next++}`
      clock.set(id, clock.now() + delayMs, fn)
      return id
    },
    clear: (handle) => clock.cancel(handle as string),
  }
}

export interface LogEntry {
  readonly level: LogLevel
  readonly message: string
  readonly ctx: Readonly<Record<string, unknown>>
}

/** A logger that keeps every record. */
export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = []
  return {
    entries,
    logger: { log: (level, message, ctx = {}) => entries.push({ level, message, ctx }) },
  }
}

/** Resolves once `ok()` holds, polling every 20 ms; rejects naming `what` after 10 s. */
export async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 10_000
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A sandbox with the Edgehog interfaces, shared by one suite. */
export interface ServerDataEnv {
  readonly sandbox: Sandbox
  /** AppEngine call below `devices/<id>/interfaces/`, with `{"data": …}` when `data` is given. */
  send(
    deviceId: string,
    method: string,
    path: string,
    data?: unknown,
  ): Promise<{ status: number; body: unknown }>
  /** An agent running `feature` alone on a fresh device, connected and synced. */
  runFeature(feature: Feature): Promise<RunningFeature>
  stop(): Promise<void>
}

export interface RunningFeature {
  readonly deviceId: string
  readonly agent: Agent
  readonly clock: ManualClock
  readonly entries: LogEntry[]
  /** The records whose message is `message`. */
  logged(message: string): LogEntry[]
  stop(): Promise<void>
}

export async function startServerDataEnv(): Promise<ServerDataEnv> {
  const tmp = await mkdtemp(join(tmpdir(), 'agent-server-data-'))
  const sandbox = await startSandbox({
    logger: quiet,
    dataDir: join(tmp, 'sandbox'),
    interfacesDir: EDGEHOG_DIR,
  })
  const running = new Set<RunningFeature>()
  return {
    sandbox,
    async send(deviceId, method, path, data) {
      const url = `${sandbox.appengineUrl}/v1/${sandbox.realm}/devices/${deviceId}/interfaces/${path}`
      const res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
        ...(data === undefined ? {} : { body: JSON.stringify({ data }) }),
      })
      const text = await res.text()
      return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) }
    },
    async runFeature(feature) {
      const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
      const features = await Agent.interfacesOf([feature])
      const device = await Device.open({
        realm: sandbox.realm,
        pairingUrl: sandbox.pairingUrl,
        deviceId,
        pairingJwt: sandbox.jwt,
        interfaces: features.interfaces,
        storeDir: await mkdtemp(join(tmp, 'store-')),
        caPem: sandbox.caPem,
        logger: quiet,
        backoff: { minMs: 100, maxMs: 1000 },
      })
      let timer: NodeJS.Timeout | undefined
      const synced = new Promise<void>((resolve, reject) => {
        device.once('synced', () => resolve())
        timer = setTimeout(
          () => reject(new Error(`device ${deviceId} didn't sync in 15 s`)),
          15_000,
        )
      }).finally(() => clearTimeout(timer))
      const clock = new ManualClock()
      const { logger, entries } = recordingLogger()
      const agent = new Agent({
        device,
        features,
        clock,
        timers: manualTimers(clock),
        logger,
        stateDir: await mkdtemp(join(tmp, 'state-')),
      })
      await agent.start()
      await synced.catch(async (error: unknown) => {
        await agent.stop()
        throw error
      })
      const run: RunningFeature = {
        deviceId,
        agent,
        clock,
        entries,
        logged: (message) => entries.filter((e) => e.message === message),
        async stop() {
          running.delete(run)
          await agent.stop()
        },
      }
      running.add(run)
      return run
    },
    async stop() {
      for (const run of running) await run.stop()
      await sandbox.stop()
      await rm(tmp, { recursive: true, force: true })
    },
  }
}
