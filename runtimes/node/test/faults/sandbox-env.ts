/**
 * @module sandbox env (fault and interop suites): what every resilience test needs around a
 * sandbox — the Resilience interface, device options with test-friendly backoff, AppEngine reads
 * of a sequence, and polling with a deadline.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { randomDeviceId, type Logger } from '@astarte-ts/sdk-core'
import type { TestContext } from 'node:test'
import type { SandboxOptions } from '@astarte-ts/sandbox'
import type { DeviceOptions } from '../../src/index.js'
import { fixturesDir, spawnTs, type TsProcess } from '../helpers/child-device.js'
import { testTransport } from '../e2e/helpers.js'

export const RESILIENCE = 'org.astarte-ts.test.Resilience'
export const interfacesDir = join(fixturesDir, 'interfaces')
export const quiet: Logger = { log: () => undefined }
/** sdk-core's default in-flight window: Astarte's per-session max_inflight_messages (spec §3.1). */
export const MAX_INFLIGHT = 100

export const newDeviceId = (): string => randomDeviceId(new Uint8Array(randomBytes(16)))

/** Where a device pairs: a sandbox (or one in pairing-only mode). */
export interface PairingSide {
  readonly realm: string
  readonly pairingUrl: string
  readonly caPem: string
  readonly jwt: string
}

/** A sandbox running in its own process (`fixtures/sandbox-process.ts`). */
export interface SandboxProcess extends PairingSide, AppEngineSide {
  readonly process: TsProcess
  readonly httpPort: number
  readonly mqttPort: number
}

/** Starts a sandbox process and waits until it listens. */
export async function startSandboxProcess(
  t: Pick<TestContext, 'after'>,
  options: SandboxOptions,
): Promise<SandboxProcess> {
  const proc = spawnTs(t, join(fixturesDir, 'sandbox-process.ts'), [], {
    ASTARTE_TEST_SANDBOX: JSON.stringify(options),
  })
  const ready = await proc.line((l) => l.event === 'ready')
  const text = (key: string): string => String(ready[key])
  return {
    process: proc,
    realm: text('realm'),
    pairingUrl: text('pairingUrl'),
    appengineUrl: text('appengineUrl'),
    caPem: text('caPem'),
    jwt: text('jwt'),
    httpPort: Number(new URL(text('pairingUrl')).port),
    mqttPort: Number(new URL(text('mqttUrl')).port),
  }
}

/** Options of a device registering itself on first boot, reconnecting quickly. */
export function deviceOptions(
  side: PairingSide,
  storeDir: string,
  deviceId: string = newDeviceId(),
): DeviceOptions & { readonly deviceId: string; readonly interfaces: readonly string[] } {
  return {
    realm: side.realm,
    pairingUrl: side.pairingUrl,
    deviceId,
    pairingJwt: side.jwt,
    interfaces: [interfacesDir],
    storeDir,
    caPem: side.caPem,
    backoff: { minMs: 100, maxMs: 1000 },
    logger: quiet,
    ports: testTransport(),
  }
}

/** Where AppEngine lives. */
export interface AppEngineSide {
  readonly realm: string
  readonly appengineUrl: string
  readonly jwt: string
}

/** One AppEngine call; `data` unwrapped from the envelope. */
export async function appengine(
  side: AppEngineSide,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ readonly status: number; readonly data: unknown }> {
  const res = await fetch(`${side.appengineUrl}/v1/${side.realm}/${path}`, {
    method,
    headers: { authorization: `Bearer ${side.jwt}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify({ data: body }) }),
  })
  const text = await res.text()
  const json = text === '' ? undefined : (JSON.parse(text) as { data?: unknown })
  return { status: res.status, data: json?.data ?? json }
}

/** The values AppEngine stored on one datastream path, in storage order ([] when none). */
export async function storedSequence(
  side: AppEngineSide,
  deviceId: string,
  path: string,
): Promise<number[]> {
  const route = `devices/${deviceId}/interfaces/${RESILIENCE}${path}`
  const { status, data } = await appengine(side, 'GET', route)
  if (status === 404) return []
  if (status !== 200 || !Array.isArray(data)) throw new Error(`read ${path}: ${status}`)
  return data.map((row: { value: unknown }) => Number(row.value))
}

/** Resolves with the first value of `poll` that `ok` accepts, polling for up to `ms`. */
export async function waitFor<T>(
  what: string,
  poll: () => Promise<T> | T,
  ok: (value: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms
  let last: T | undefined
  for (;;) {
    last = await poll()
    if (ok(last)) return last
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${summary(last)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Waits until nothing is queued or in flight (everything acknowledged). */
export function drained(device: {
  metrics(): { readonly queued: number; readonly inflight: number }
}): Promise<unknown> {
  const empty = (m: { queued: number; inflight: number }): boolean => m.queued + m.inflight === 0
  return waitFor('the queue to drain', () => device.metrics(), empty)
}

function summary(value: unknown): string {
  const bigints = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v)
  const text = JSON.stringify(value, bigints) ?? ''
  return text.length > 400 ? `${text.slice(0, 400)}…` : text
}

/** Counts of each value; missing and repeated ones against `0..count-1`. */
export function sequenceReport(
  values: readonly number[],
  count: number,
): {
  readonly missing: number[]
  readonly repeated: number[]
} {
  const seen = new Map<number, number>()
  for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1)
  const missing: number[] = []
  for (let n = 0; n < count; n++) if (!seen.has(n)) missing.push(n)
  const repeated = [...seen].filter(([, times]) => times > 1).map(([v]) => v)
  return { missing, repeated }
}

/** A device streaming `n` = 0, 1, 2, … on `/<group>/guaranteed` and `/<group>/unique`. */
export interface Streamer {
  /** How many values were sent (or are being sent) on each path so far. */
  readonly sent: () => number
  /** Sends that rejected; a resilient device has none. */
  readonly failures: readonly unknown[]
  /** Stops after the values in progress; resolves with the final count. */
  readonly stop: () => Promise<number>
}

/** Streams one value per path every `pauseMs`, whatever the connection is doing. */
export function startStreaming(
  device: { send(iface: string, path: string, value: number): Promise<void> },
  group: string,
  pauseMs: number,
): Streamer {
  let next = 0
  let streaming = true
  const failures: unknown[] = []
  const loop = (async () => {
    while (streaming) {
      const n = next++
      await Promise.all([
        device.send(RESILIENCE, `/${group}/guaranteed`, n),
        device.send(RESILIENCE, `/${group}/unique`, n),
      ]).catch((e: unknown) => failures.push(e))
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  })()
  return {
    sent: () => next,
    failures,
    stop: async () => {
      streaming = false
      await loop
      return next
    },
  }
}
