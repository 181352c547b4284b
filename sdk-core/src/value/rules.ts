/**
 * @module value rules: the checks that data sent (`validate.ts`) and data received
 * (`payload-decode.ts`) share, with one message each (spec §2.2, §2.3).
 */
import { ok, type Issue, type Result } from '../errors.js'
import type { Interface, Mapping } from '../interface/model.js'
import { anyIssue as issue } from '../interface/issue.js'
import { requiredObjectKeys } from './resolve-cache.js'

/** The issue of one value rule. */
export { issue }

/** Where an object key's issue is reported: the key under the object's path. */
export const keyPath = (path: string, key: string): string => `${path === '/' ? '' : path}/${key}`

/** The issue of an interface without mappings (none resolves a path). */
export const noMappings = (iface: Interface, path: string): Issue =>
  issue('mapping_not_found', path, `${iface.name} has no mappings`)

/** spec §2.2: only a property whose mapping has `allow_unset` can be unset. */
export function unsetIssue(iface: Interface, mapping: Mapping, path: string): Issue | undefined {
  if (iface.type !== 'properties') {
    return issue('unset_on_datastream', path, `${iface.name} is a datastream; it cannot be unset`)
  }
  if (!mapping.allowUnset) {
    return issue('unset_not_allowed', path, `mapping ${mapping.endpoint} does not allow unset`)
  }
  return undefined
}

/**
 * spec §2.3: an object aggregate holds every `required` mapping. Returns `issues` with one
 * `missing_required_mapping` per absent key appended (the list is made by the first issue).
 */
export function missingRequiredKeys(
  iface: Interface,
  path: string,
  object: object,
  issues: Issue[] | undefined,
): Issue[] | undefined {
  for (const key of requiredObjectKeys(iface)) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) {
      const message = `required object key ${JSON.stringify(key)} is missing`
      ;(issues ??= []).push(issue('missing_required_mapping', path, message))
    }
  }
  return issues
}

/** Sets `key` as an own property, a key named `__proto__` included (not the prototype). */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty only for that key: plain stores are faster
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  } else out[key] = value
}

/** `data` (validated or decoded) with its timestamp, when there is one. */
export function stamped<T>(data: T & { timestamp?: Date }, timestamp: Date | undefined): Result<T> {
  if (timestamp !== undefined) data.timestamp = timestamp
  return ok(data)
}
