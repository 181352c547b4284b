/**
 * @module value validate: the only constructors of `Validated*` values (spec §2.2, §2.3, §3.8).
 * Pure and total: returns issues as data and never throws for any `unknown` input. Issue codes
 * reuse DUP's names so the sandbox can validate ingested data with the same functions.
 */
import { err, ok, type Issue, type Result } from '../errors.js'
import type { Interface, Mapping } from '../interface/model.js'
import { checkedValue, ValueProblem } from './check-value.js'
import { cachedIndividualPath, cachedObjectPath, mappingsByKey } from './resolve-cache.js'
import {
  issue,
  keyPath,
  missingRequiredKeys,
  noMappings,
  setOwn,
  stamped,
  unsetIssue,
} from './rules.js'
import type { AstarteValue, ValidatedIndividual, ValidatedObject, ValidatedUnset } from './types.js'

/** Options of `validateIndividual` and `validateObject`. */
export interface ValidateOptions {
  /** Explicit timestamp; required exactly where the mapping has `explicit_timestamp`. */
  readonly timestamp?: Date
}

/**
 * spec §2.2 [SDK]: a timestamp only where `explicit_timestamp` is set, and required there.
 * Returns the issue, or `undefined` when the timestamp (if any) fits.
 */
function checkTimestamp(mapping: Mapping, path: string, options: unknown): Issue | undefined {
  // any value reads a property: a primitive's `timestamp` is `undefined`, like an absent one
  const timestamp = (options as { timestamp?: unknown } | null | undefined)?.timestamp
  if (timestamp === undefined) {
    return mapping.explicitTimestamp
      ? issue('missing_timestamp', path, `mapping ${mapping.endpoint} needs an explicit timestamp`)
      : undefined
  }
  if (!mapping.explicitTimestamp) {
    const message = `mapping ${mapping.endpoint} takes no explicit timestamp`
    return issue('unexpected_timestamp', path, message)
  }
  if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) {
    return issue('invalid_timestamp', path, 'timestamp is not a valid Date')
  }
  return undefined
}

/** spec §2.2 [quirk]: DUP reads `{"v": <binary of length 0>}` alone as an unset. */
const isEmptyBlob = (value: unknown): boolean => value instanceof Uint8Array && value.length === 0

/** Checks a value for an individual mapping: `/kitchen/temperature` ← `21.5`. */
export function validateIndividual(
  iface: Interface,
  path: string,
  value: unknown,
  options?: ValidateOptions,
): Result<ValidatedIndividual> {
  if (iface.aggregation !== 'individual') {
    return err([
      issue('aggregation_mismatch', path, `${iface.name} is object-aggregated, not individual`),
    ])
  }
  const mapping = cachedIndividualPath(iface, path)
  if (!mapping.ok) return mapping
  // runs once per message sent: issues and their strings are made only on failure
  const checked = checkedValue(mapping.value.type, value)
  const badTimestamp = checkTimestamp(mapping.value, path, options)
  const timestamp = options?.timestamp
  let issues = checked instanceof ValueProblem ? [checked.at(path)] : undefined
  if (badTimestamp !== undefined) (issues ??= []).push(badTimestamp)
  // a ValueProblem is no Uint8Array: only a valid value can read as an unset
  if (isEmptyBlob(checked) && timestamp === undefined) {
    const message = 'an empty binaryblob without "t" reads as an unset on the server'
    ;(issues ??= []).push(issue('empty_binaryblob_is_unset', path, message))
  }
  if (issues !== undefined) return err(issues)
  const validated = { kind: 'individual', iface, mapping: mapping.value, path, value: checked }
  return stamped(validated as ValidatedIndividual, timestamp)
}

/**
 * Checks an object aggregate sent on its prefix path: keys are the last endpoint levels; any
 * subset is fine as long as every `required` mapping is present (spec §2.3, server behaviour).
 */
export function validateObject(
  iface: Interface,
  path: string,
  value: unknown,
  options?: ValidateOptions,
): Result<ValidatedObject> {
  const mappings = cachedObjectPath(iface, path)
  if (!mappings.ok) return mappings
  const first = mappings.value[0]
  if (first === undefined) {
    return err([noMappings(iface, path)])
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Date ||
    value instanceof Uint8Array
  ) {
    return err([issue('unexpected_value_type', path, 'expected an object of last-level keys')])
  }
  const byKey = mappingsByKey(iface)
  const record = value as Record<string, unknown>
  // runs once per message sent: key paths and issues are made only on failure
  let issues: Issue[] | undefined
  const checkedObject: Record<string, AstarteValue> = {}
  for (const key of Object.keys(record)) {
    const mapping = byKey.get(key)
    if (mapping === undefined) {
      const message = `${iface.name} has no object key ${JSON.stringify(key)}`
      ;(issues ??= []).push(issue('unexpected_object_key', keyPath(path, key), message))
      continue
    }
    const checked = checkedValue(mapping.type, record[key])
    if (checked instanceof ValueProblem) (issues ??= []).push(checked.at(keyPath(path, key)))
    else setOwn(checkedObject, key, checked)
  }
  issues = missingRequiredKeys(iface, path, record, issues)
  const badTimestamp = checkTimestamp(first, path, options)
  if (badTimestamp !== undefined) (issues ??= []).push(badTimestamp)
  if (issues !== undefined) return err(issues)
  const timestamp = options?.timestamp
  return stamped(
    { kind: 'object', iface, path, value: checkedObject } as ValidatedObject,
    timestamp,
  )
}

/** Checks a property unset: only properties whose mapping has `allow_unset` (spec §2.2). */
export function validateUnset(iface: Interface, path: string): Result<ValidatedUnset> {
  const mapping = cachedIndividualPath(iface, path)
  if (!mapping.ok) return mapping
  const found = unsetIssue(iface, mapping.value, path)
  if (found !== undefined) return err([found])
  return ok({ kind: 'unset', iface, mapping: mapping.value, path } as ValidatedUnset)
}
