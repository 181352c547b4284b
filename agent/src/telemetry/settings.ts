/**
 * @module telemetry settings: the schedule of each periodic interface from the configuration's
 * `[[telemetry_config]]` entries and the server's `config.Telemetry` overrides (spec §5). An
 * override wins field by field; an unset field falls back to the configuration, then to the
 * defaults (disabled, 60 s). Pure: reading server data and the persisted form, no I/O.
 */
import type { ServerMessage } from '@astarte-ts/sdk-core'
import { EDGEHOG } from '../device-info/edgehog-interfaces.js'

/** The server-owned interface that overrides the schedule. */
export const TELEMETRY_CONFIG = `${EDGEHOG}config.Telemetry`

/** One `[[telemetry_config]]` entry, keys as edgehog-device-runtime's configuration spells them. */
export interface TelemetryConfigEntry {
  /** The full interface name (`io.edgehog.devicemanager.SystemStatus`). */
  readonly interface_name: string
  /** Default false: an entry without it schedules nothing. */
  readonly enabled?: boolean
  /** Seconds between two samples (start to start); default 60; 0 stops the task. */
  readonly period?: number
}

/** What the server set for one interface; absent fields aren't overridden. */
export interface Override {
  readonly enabled?: boolean
  readonly period?: number
}

export const DEFAULT_PERIOD_SECONDS = 60
/** The longest period accepted, one year: anything longer is out of range. */
export const MAX_PERIOD_SECONDS = 31_536_000

/** The schedule in force for one interface. */
export interface Schedule {
  readonly enabled: boolean
  readonly periodSeconds: number
}

export function effectiveSchedule(
  config: Override | undefined,
  override: Override | undefined,
): Schedule {
  return {
    enabled: override?.enabled ?? config?.enabled ?? false,
    periodSeconds: override?.period ?? config?.period ?? DEFAULT_PERIOD_SECONDS,
  }
}

/** Whether a schedule runs a periodic task (`enable = false` or period 0 stops it). */
export function runs(schedule: Schedule): boolean {
  return schedule.enabled && schedule.periodSeconds > 0
}

/** A valid period in seconds, or `undefined`. */
export function checkPeriod(value: unknown): number | undefined {
  const n = typeof value === 'bigint' ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_PERIOD_SECONDS
    ? n
    : undefined
}

/** One field of one interface's override, set (`value`) or unset (`undefined`). */
export interface OverrideChange {
  readonly interfaceName: string
  readonly field: 'enabled' | 'period'
  readonly value: boolean | number | undefined
}

/**
 * Reads one `config.Telemetry` message (`/request/<interface name>/enable` boolean,
 * `/request/<interface name>/periodSeconds` longinteger): the change, or why it is refused.
 */
export function readOverrideMessage(
  message: ServerMessage,
):
  | { readonly ok: true; readonly change: OverrideChange }
  | { readonly ok: false; readonly reason: string } {
  const m = /^\/request\/([^/]+)\/(enable|periodSeconds)$/.exec(message.path)
  if (m?.[1] === undefined || m[2] === undefined) return { ok: false, reason: 'unknown path' }
  const interfaceName = m[1]
  const field = m[2] === 'enable' ? 'enabled' : 'period'
  if (message.type === 'unset')
    return { ok: true, change: { interfaceName, field, value: undefined } }
  if (message.type !== 'individual') return { ok: false, reason: 'expected an individual value' }
  if (field === 'enabled') {
    return typeof message.value === 'boolean'
      ? { ok: true, change: { interfaceName, field, value: message.value } }
      : { ok: false, reason: 'enable must be a boolean' }
  }
  const period = checkPeriod(message.value)
  return period === undefined
    ? { ok: false, reason: `periodSeconds must be an integer from 0 to ${MAX_PERIOD_SECONDS}` }
    : { ok: true, change: { interfaceName, field, value: period } }
}

/** Applies a change to an override; `undefined` when nothing is left overridden. */
export function applyChange(
  current: Override | undefined,
  change: OverrideChange,
): Override | undefined {
  const next: { enabled?: boolean; period?: number } = { ...current }
  if (change.value === undefined) delete next[change.field]
  else if (change.field === 'enabled') next.enabled = change.value as boolean
  else next.period = change.value as number
  return next.enabled === undefined && next.period === undefined ? undefined : next
}

/** The persisted form (`telemetry.json`): `[{ interface_name, enabled?, period? }]`, overrides only. */
export function overridesToJson(overrides: ReadonlyMap<string, Override>): string {
  const list = [...overrides].map(([interface_name, o]) => ({ interface_name, ...o }))
  return `${JSON.stringify(list, null, 2)}\n`
}

/** Reads the persisted form; entries or fields that don't fit are dropped, each reported. */
export function overridesFromJson(
  json: unknown,
  report: (what: string) => void,
): Map<string, Override> {
  const out = new Map<string, Override>()
  if (!Array.isArray(json)) {
    report('not a list')
    return out
  }
  json.forEach((entry: unknown, i) => {
    const e = entry as { interface_name?: unknown; enabled?: unknown; period?: unknown } | null
    if (typeof e !== 'object' || e === null || typeof e.interface_name !== 'string') {
      report(`entry ${i} has no interface_name`)
      return
    }
    const o: { enabled?: boolean; period?: number } = {}
    if (typeof e.enabled === 'boolean') o.enabled = e.enabled
    else if (e.enabled !== undefined) report(`entry ${i} enabled is not a boolean`)
    const period = checkPeriod(e.period)
    if (period !== undefined) o.period = period
    else if (e.period !== undefined) report(`entry ${i} period is out of range`)
    if (o.enabled !== undefined || o.period !== undefined) out.set(e.interface_name, o)
  })
  return out
}
