/**
 * @module batch provisioning: a production line's list of hardware ids provisioned with bounded
 * concurrency and a rate limit on the Pairing API, one audit line per board. A failed board is
 * reported and the line goes on; a re-run skips the boards that are done and resumes the ones
 * an interrupted run left half-way (see `provisionDevice`).
 */
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs'
import { SdkError } from '@astarte-ts/sdk-core'
import type { ProvisionOutcome, ProvisionResult } from './provision-device.js'

/** One line of the audit log: what happened to one board. Never holds a secret. */
export interface AuditRecord {
  readonly time: string
  readonly hardwareId: string
  readonly deviceId: string
  readonly outcome: ProvisionOutcome | 'failed'
  /** See `ProvisionResult.reregistered`. */
  readonly reregistered?: true
  readonly error?: { readonly code: string; readonly message: string }
}

export interface BatchOptions {
  readonly hardwareIds: readonly string[]
  readonly deviceIdOf: (hardwareId: string) => string
  readonly provision: (hardwareId: string, deviceId: string) => Promise<ProvisionResult>
  /** Boards in flight at once. */
  readonly concurrency: number
  /** Boards started per second at most: the Pairing API is shared with the running fleet. */
  readonly perSecond: number
  /** JSON lines, appended and flushed per board. */
  readonly auditFile: string
  readonly onRecord?: (record: AuditRecord, done: number, total: number) => void
  readonly signal?: AbortSignal
}

export interface BatchSummary {
  readonly total: number
  readonly provisioned: number
  readonly resumed: number
  readonly alreadyProvisioned: number
  readonly failed: number
  /** Boards registered again because a stopped run left their registration in flight. */
  readonly reregistered: number
  /** Boards not started because the run was stopped. */
  readonly notStarted: number
}

/**
 * Reads the hardware ids of a CSV: the first column of each non-empty line, an optional
 * `hardware_id` header skipped. Throws `local.invalid_config` naming the line of a duplicate or
 * an empty id.
 */
export function parseHardwareIds(csv: string, where: string): string[] {
  const ids: string[] = []
  const seen = new Map<string, number>()
  const lines = csv.split(/\r?\n/)
  lines.forEach((line, index) => {
    const first =
      line
        .split(',')[0]
        ?.trim()
        .replace(/^"(.*)"$/, '$1') ?? ''
    if (line.trim() === '' || (index === 0 && /^hardware[_ -]?id$/i.test(first))) return
    if (first === '') {
      throw new SdkError('local.invalid_config', `${where}:${index + 1}: empty hardware id`)
    }
    const before = seen.get(first)
    if (before !== undefined) {
      throw new SdkError(
        'local.invalid_config',
        `${where}:${index + 1}: hardware id '${first}' repeats line ${before}`,
      )
    }
    seen.set(first, index + 1)
    ids.push(first)
  })
  return ids
}

/** Runs the batch; resolves with the summary once every started board has ended. */
export async function provisionBatch(options: BatchOptions): Promise<BatchSummary> {
  const total = options.hardwareIds.length
  const counts = { provisioned: 0, resumed: 0, already_provisioned: 0, failed: 0 }
  let reregistered = 0
  const audit = openSync(options.auditFile, 'a', 0o600)
  const minGapMs = 1000 / options.perSecond
  let nextStartMs = 0
  let next = 0
  let done = 0
  const record = (r: AuditRecord): void => {
    appendFileSync(audit, `${JSON.stringify(r)}\n`)
    fsyncSync(audit)
    counts[r.outcome]++
    if (r.reregistered === true) reregistered++
    done++
    options.onRecord?.(r, done, total)
  }
  const worker = async (): Promise<void> => {
    while (next < total && options.signal?.aborted !== true) {
      const hardwareId = options.hardwareIds[next++] as string
      const now = Date.now()
      const startAt = Math.max(now, nextStartMs)
      nextStartMs = startAt + minGapMs
      if (startAt > now) await new Promise((r) => setTimeout(r, startAt - now))
      let deviceId = ''
      try {
        deviceId = options.deviceIdOf(hardwareId)
        const result = await options.provision(hardwareId, deviceId)
        record({
          time: new Date().toISOString(),
          hardwareId,
          deviceId,
          outcome: result.outcome,
          ...(result.reregistered === true ? { reregistered: true as const } : {}),
        })
      } catch (e) {
        const error =
          e instanceof SdkError
            ? { code: e.code, message: e.message }
            : { code: 'local.internal', message: e instanceof Error ? e.message : String(e) }
        record({ time: new Date().toISOString(), hardwareId, deviceId, outcome: 'failed', error })
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, total) }, worker))
  } finally {
    closeSync(audit)
  }
  return {
    total,
    provisioned: counts.provisioned,
    resumed: counts.resumed,
    alreadyProvisioned: counts.already_provisioned,
    failed: counts.failed,
    reregistered,
    notStarted: total - done,
  }
}
