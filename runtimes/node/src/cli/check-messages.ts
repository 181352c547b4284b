/**
 * @module check messages: what `astarte-device send` is asked to send, checked against the
 * interfaces before any network I/O — interface known and device-owned, path, value, timestamp —
 * so a typo is reported as such, offline, with every bad NDJSON line and its number.
 */
import {
  encodePayload,
  MAX_PAYLOAD_BYTES,
  parseIsoDate,
  validateIndividual,
  validateObject,
  validateUnset,
  type AstarteObjectValue,
  type AstarteValue,
  type Interface,
  type Issue,
} from '@astarte-ts/sdk-core'
import { valueFromJsonAt } from '../interfaces/json-values.js'

/** One value to send (or property to unset), as the command line or an NDJSON line gave it. */
export interface Message {
  readonly interfaceName: string
  readonly path: string
  readonly json?: unknown
  readonly unset: boolean
  readonly timestamp?: Date
}

/** A message whose value is in its Astarte form, ready for the device. */
export interface CheckedMessage {
  readonly iface: Interface
  readonly path: string
  readonly unset: boolean
  readonly value?: AstarteValue | AstarteObjectValue
  readonly timestamp?: Date
}

const describeIssue = (i: Issue): string => `${i.message} [${i.code}]`

/**
 * The checked message, or why `m` can't be sent as plain sentences; `timestampHint` says how a
 * timestamp is given where `m` came from (`--timestamp ISO8601`, `"timestamp"`); a payload over
 * `maxPayloadBytes` (the device's `maxPayloadBytes`) is refused here too, as the device would.
 */
export function checkMessage(
  interfaces: ReadonlyMap<string, Interface>,
  m: Message,
  timestampHint: string,
  maxPayloadBytes: number = MAX_PAYLOAD_BYTES,
):
  | { readonly ok: true; readonly value: CheckedMessage }
  | { readonly ok: false; problems: string[] } {
  const iface = interfaces.get(m.interfaceName)
  const what = `${m.interfaceName}${m.path}`
  if (iface === undefined) {
    const known = [...interfaces.keys()].sort()
    const list = known.length <= 6 ? known.join(', ') : `${known.slice(0, 6).join(', ')}, …`
    return {
      ok: false,
      problems: [`interface ${m.interfaceName} is not in --interfaces (loaded: ${list})`],
    }
  }
  if (iface.ownership !== 'device') {
    return { ok: false, problems: [`${iface.name} is server-owned: a device can't send on it`] }
  }
  if (m.unset) {
    const r = validateUnset(iface, m.path)
    return r.ok
      ? { ok: true, value: { iface, path: m.path, unset: true } }
      : { ok: false, problems: r.error.map((i) => `${what}: ${describeIssue(i)}`) }
  }
  if (iface.type === 'properties' && m.timestamp !== undefined) {
    return { ok: false, problems: [`${what}: a property takes no timestamp`] }
  }
  const value = valueFromJsonAt(iface, m.path, m.json)
  if (!value.ok)
    return { ok: false, problems: value.error.map((i) => `${what}: ${describeIssue(i)}`) }
  const options = m.timestamp === undefined ? {} : { timestamp: m.timestamp }
  const checked =
    iface.aggregation === 'object'
      ? validateObject(iface, m.path, value.value, options)
      : validateIndividual(iface, m.path, value.value, options)
  if (!checked.ok) {
    const problems = checked.error.map((i) =>
      i.code === 'missing_timestamp'
        ? `${what}: ${i.message}: give ${timestampHint} [${i.code}]`
        : `${what}: ${describeIssue(i)}`,
    )
    return { ok: false, problems }
  }
  const bytes = encodePayload(checked.value).length
  if (bytes > maxPayloadBytes) {
    return {
      ok: false,
      problems: [
        `${what}: the ${bytes}-byte payload is over the ${maxPayloadBytes}-byte limit (maxPayloadBytes) [payload_too_large]`,
      ],
    }
  }
  return {
    ok: true,
    value: {
      iface,
      path: m.path,
      unset: false,
      value: value.value,
      ...(m.timestamp === undefined ? {} : { timestamp: m.timestamp }),
    },
  }
}

/** An ISO 8601 date-time, or the reason it is not one. */
export function parseTimestamp(text: string): Date | string {
  return (
    parseIsoDate(text) ??
    `timestamp '${text}' is not an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z)`
  )
}

/** The message of one NDJSON line, or why the line is not one. */
export function messageFromLine(line: string): Message | string {
  let doc: unknown
  try {
    doc = JSON.parse(line)
  } catch {
    return 'not json'
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a json object'
  const d = doc as Record<string, unknown>
  if (typeof d.interface !== 'string' || typeof d.path !== 'string') {
    return 'needs string "interface" and "path"'
  }
  const unset = d.unset === true
  if (!unset && !('value' in d)) return 'needs "value" (or "unset": true)'
  if (d.timestamp !== undefined && typeof d.timestamp !== 'string') {
    return '"timestamp" must be an ISO 8601 string'
  }
  const timestamp = typeof d.timestamp === 'string' ? parseTimestamp(d.timestamp) : undefined
  if (typeof timestamp === 'string') return timestamp
  return {
    interfaceName: d.interface,
    path: d.path,
    unset,
    ...(unset ? {} : { json: d.value }),
    ...(timestamp === undefined ? {} : { timestamp }),
  }
}
