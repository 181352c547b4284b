/**
 * @module object json: an object aggregate in AppEngine JSON form, each key converted by its
 * mapping's type (spec §5).
 */
import { objectKey, valueToJson, type AstarteValue, type Interface } from '@astarte-ts/sdk-core'

export function objectToJson(
  iface: Interface,
  value: Readonly<Record<string, AstarteValue>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const mapping of iface.mappings) {
    const key = objectKey(mapping)
    const v = value[key]
    if (v !== undefined) out[key] = valueToJson(mapping.type, v)
  }
  return out
}
