/**
 * What the OTA suites share: OTARequests sent through the sandbox's AppEngine, the OTAEvents read
 * back from it, and the event sequence in the compact form the expectations are written in
 * (edgehog-agent spec §3.6): runs of progress collapsed to `Downloading 0..100`, failures with
 * their code (`Failure/NetworkError`).
 */
import assert from 'node:assert/strict'
import type { Env } from '../../helpers/feature-sandbox.js'

export const OTA_REQUEST = 'io.edgehog.devicemanager.OTARequest'
export const OTA_EVENT = 'io.edgehog.devicemanager.OTAEvent'

/** One OTAEvent as AppEngine returns it. */
export interface StoredEvent {
  readonly timestamp: string
  readonly requestUUID: string
  readonly status: string
  readonly statusProgress: number
  readonly statusCode: string
  readonly message: string
}

/** Sends an OTARequest (Update with a URL, or Cancel without one, as the backend does). */
export async function request(
  env: Env,
  deviceId: string,
  operation: 'Update' | 'Cancel',
  uuid: string,
  url?: string,
): Promise<void> {
  const res = await env.api('POST', `devices/${deviceId}/interfaces/${OTA_REQUEST}/request`, {
    operation,
    uuid,
    ...(url === undefined ? {} : { url }),
  })
  assert.ok(res.status === 200, `OTARequest refused: ${res.status} ${JSON.stringify(res.data)}`)
}

/**
 * Sends an Update until the device acknowledges it, as Edgehog does (OTARequest is QoS 0: a
 * device that is still subscribing misses it); the same uuid each time, which the agent must take
 * as one request. Resolves with the number of requests sent.
 */
export async function requestUntilAcknowledged(
  env: Env,
  deviceId: string,
  uuid: string,
  url: string,
  ms = 60_000,
): Promise<number> {
  const end = Date.now() + ms
  for (let sent = 1; ; sent++) {
    await request(env, deviceId, 'Update', uuid, url)
    const retryAt = Date.now() + 3000
    while (Date.now() < retryAt) {
      if ((await events(env, deviceId, uuid)).length > 0) return sent
      await new Promise((r) => setTimeout(r, 100))
    }
    if (Date.now() > end) throw new Error(`the update ${uuid} was never acknowledged`)
  }
}

/** The OTAEvents of `uuid` stored so far, in order. */
export async function events(env: Env, deviceId: string, uuid: string): Promise<StoredEvent[]> {
  const res = await env.api('GET', `devices/${deviceId}/interfaces/${OTA_EVENT}/event`)
  if (res.status === 404) return []
  assert.equal(res.status, 200, JSON.stringify(res.data))
  return (res.data as StoredEvent[]).filter((e) => e.requestUUID === uuid)
}

const PROGRESSING = new Set(['Downloading', 'Deploying'])

/**
 * The sequence in compact form. Every event must carry all five fields; progress within a run
 * must only grow, at most one event per percent step.
 */
export function shape(list: readonly StoredEvent[]): string[] {
  const runs: { label: string; progress: number[] }[] = []
  for (const e of list) {
    for (const field of ['requestUUID', 'status', 'statusCode', 'message'] as const) {
      assert.equal(typeof e[field], 'string', `${field} of ${JSON.stringify(e)}`)
    }
    assert.equal(typeof e.statusProgress, 'number')
    const label = e.statusCode === '' ? e.status : `${e.status}/${e.statusCode}`
    const last = runs.at(-1)
    if (last !== undefined && last.label === label && PROGRESSING.has(e.status)) {
      const previous = last.progress.at(-1) as number
      assert.ok(
        e.statusProgress > previous,
        `${label} progress ${previous} then ${e.statusProgress}`,
      )
      last.progress.push(e.statusProgress)
    } else runs.push({ label, progress: [e.statusProgress] })
  }
  return runs.map(({ label, progress }) => {
    if (!PROGRESSING.has(label)) return label
    const first = progress[0] as number
    const last = progress.at(-1) as number
    return first === last ? `${label} ${first}` : `${label} ${first}..${last}`
  })
}

/** The final event of a sequence, if it has one. */
export const finalOf = (list: readonly StoredEvent[]): StoredEvent | undefined =>
  list.find((e) => e.status === 'Success' || e.status === 'Failure')

/** A Downloading run that began at 0 and got anywhere (progress depends on the machine's pace). */
export const DOWNLOAD_BEGUN = /^Downloading 0(\.\.\d+)?$/

/** Asserts a compact sequence, each step equal to its string or matching its pattern. */
export function assertShape(
  actual: readonly string[],
  expected: readonly (string | RegExp)[],
): void {
  const ok =
    actual.length === expected.length &&
    expected.every((e, i) => (typeof e === 'string' ? actual[i] === e : e.test(actual[i] ?? '')))
  assert.ok(ok, `events ${JSON.stringify(actual)} are not ${expected.map(String).join(', ')}`)
}
