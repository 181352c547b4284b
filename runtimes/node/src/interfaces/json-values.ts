/**
 * @module json values: AppEngine JSON forms (spec §5: longinteger as decimal string, binaryblob
 * as base64, datetime as ISO 8601) ⇄ JS values, per interface and path, for the CLI's NDJSON.
 */
import {
  err,
  objectKey,
  ok,
  resolveIndividualPath,
  resolveObjectPath,
  valueFromJson,
  valueToJson,
  type AstarteObjectValue,
  type AstarteValue,
  type Interface,
  type Issue,
  type Result,
} from '@astarte-ts/sdk-core'
import type { ServerMessage } from '@astarte-ts/sdk-core'

/** Converts the JSON form of the value at `path` (an object of JSON forms for object interfaces). */
export function valueFromJsonAt(
  iface: Interface,
  path: string,
  json: unknown,
): Result<AstarteValue | AstarteObjectValue> {
  if (iface.aggregation === 'individual') {
    const mapping = resolveIndividualPath(iface, path)
    return mapping.ok ? valueFromJson(mapping.value.type, json) : mapping
  }
  const mappings = resolveObjectPath(iface, path)
  if (!mappings.ok) return mappings
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return err([
      { code: 'unexpected_value_type', path, message: 'an object interface needs a json object' },
    ])
  }
  const out: Record<string, AstarteValue> = {}
  const issues: Issue[] = []
  for (const [key, item] of Object.entries(json)) {
    const mapping = mappings.value.find((m) => objectKey(m) === key)
    if (mapping === undefined) {
      issues.push({
        code: 'unexpected_object_key',
        path: `${path}/${key}`,
        message: `unknown key ${key}`,
      })
      continue
    }
    const value = valueFromJson(mapping.type, item)
    if (value.ok) out[key] = value.value
    else issues.push(...value.error)
  }
  return issues.length > 0 ? err(issues) : ok(out)
}

/** One server message as an NDJSON-ready object: `{interface, path, value | unset, timestamp?}`. */
export function messageToJson(
  iface: Interface | undefined,
  message: ServerMessage,
): Record<string, unknown> {
  const head = { interface: message.interfaceName, path: message.path }
  const timestamp =
    message.type !== 'unset' && message.timestamp !== undefined
      ? { timestamp: message.timestamp.toISOString() }
      : {}
  switch (message.type) {
    case 'unset':
      return { ...head, unset: true }
    case 'individual': {
      const mapping = iface === undefined ? undefined : resolveIndividualPath(iface, message.path)
      const value =
        mapping?.ok === true
          ? valueToJson(mapping.value.type, message.value)
          : String(message.value)
      return { ...head, value, ...timestamp }
    }
    case 'object': {
      const mappings = iface === undefined ? undefined : resolveObjectPath(iface, message.path)
      const value: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(message.value)) {
        const mapping =
          mappings?.ok === true ? mappings.value.find((m) => objectKey(m) === key) : undefined
        value[key] = mapping === undefined ? String(item) : valueToJson(mapping.type, item)
      }
      return { ...head, value, ...timestamp }
    }
  }
}
