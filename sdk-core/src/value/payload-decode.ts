/**
 * @module payload decode: MQTT payload bytes → Astarte data, mirroring DUP's receiver rules
 * (spec §2.2, §2.3). Total: returns issues as data and never throws for any bytes.
 */
import { SdkError, err, ok, type Issue, type Result } from '../errors.js'
import { BsonType as BsonTypeBinding } from '../bson/model.js'
import { openRoot as openRootBinding } from '../bson/decode.js'
import type { BsonReader } from '../bson/reader.js'
import type { Int64 } from '../bson/int64.js'
import type { Interface, Mapping } from '../interface/model.js'
import {
  Mismatch as MismatchBinding,
  dateFromMs as dateFromMsBinding,
  issuePath as issuePathBinding,
  readAstarteValue as readAstarteValueBinding,
  type Direction,
  type ReadContext,
} from './bson-read.js'
import { cachedIndividualPath, cachedObjectPath, mappingsByKey } from './resolve-cache.js'
import type { AstarteValue } from './types.js'
import {
  issue,
  missingRequiredKeys,
  noMappings,
  setOwn as setOwnBinding,
  stamped,
  unsetIssue,
} from './rules.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const BsonType = BsonTypeBinding
const openRoot = openRootBinding
const Mismatch = MismatchBinding
const dateFromMs = dateFromMsBinding
const issuePath = issuePathBinding
const readAstarteValue = readAstarteValueBinding
const setOwn = setOwnBinding

export type { Direction } from './bson-read.js'

/** What a payload carried, once checked against its interface and path. */
export type DecodedData =
  | {
      readonly kind: 'individual'
      readonly mapping: Mapping
      readonly path: string
      readonly value: AstarteValue
      readonly timestamp?: Date
    }
  | {
      readonly kind: 'object'
      readonly path: string
      readonly value: Readonly<Record<string, AstarteValue>>
      readonly timestamp?: Date
    }
  | { readonly kind: 'unset'; readonly mapping: Mapping; readonly path: string }

/** spec §2.2: an empty payload (or the `{"v": <empty binary>}` quirk) is an unset. */
function decodeUnset(
  iface: Interface,
  mapping: Mapping | undefined,
  path: string,
): Result<DecodedData> {
  if (mapping === undefined) {
    return err([issue('unexpected_value_type', path, 'an object aggregate cannot be unset')])
  }
  const found = unsetIssue(iface, mapping, path)
  if (found !== undefined) return err([found])
  return ok({ kind: 'unset', mapping, path })
}

function readObject(
  r: BsonReader,
  bson: number,
  iface: Interface,
  last: number,
  path: string,
  direction: Direction,
): Record<string, AstarteValue> | Issue[] {
  if (bson !== BsonType.document) {
    r.value(bson, last, 1)
    return [issue('unexpected_value_type', path, 'expected an object document for "v"')]
  }
  const end = r.openDocument(last, 2)
  const problems: Issue[] = []
  const out: Record<string, AstarteValue> = {}
  const byKey = mappingsByKey(iface)
  const at: ReadContext = { path, key: undefined, direction }
  for (let t = r.nextType(end); t !== 0; t = r.nextType(end)) {
    const key = r.readKey(end)
    at.key = key
    const mapping = byKey.get(key)
    if (mapping === undefined) {
      r.value(t, end, 2)
      const message = `no object key ${JSON.stringify(key)}`
      problems.push(issue('unexpected_object_key', issuePath(at), message))
      continue
    }
    const value = readAstarteValue(r, t, mapping.type, end, 2, at)
    if (value instanceof Mismatch) problems.push(value.issue)
    else setOwn(out, key, value)
  }
  missingRequiredKeys(iface, path, out, problems)
  return problems.length > 0 ? problems : out
}

/**
 * Decodes a payload received on `path` of `iface`. `direction` says who sent it (default: a
 * device, as the sandbox ingests); both directions accept int32/int64 for longinteger and double.
 * Issues: `undecodable_bson_payload`, `unexpected_value_type`, `value_size_exceeded`,
 * `unexpected_object_key`, `missing_required_mapping`, `unset_on_datastream`, `unset_not_allowed`,
 * `invalid_timestamp`, and the path issues of `resolveIndividualPath`/`resolveObjectPath`.
 */
export function decodePayload(
  iface: Interface,
  path: string,
  payload: Uint8Array,
  direction: Direction = 'device-to-server',
): Result<DecodedData> {
  const object = iface.aggregation === 'object'
  const resolved = object ? cachedObjectPath(iface, path) : cachedIndividualPath(iface, path)
  if (!resolved.ok) return resolved
  const mappings: readonly Mapping[] = object
    ? (resolved.value as readonly Mapping[])
    : [resolved.value as Mapping]
  const mapping = object ? undefined : mappings[0]
  const first = mappings[0]
  if (first === undefined) {
    return err([noMappings(iface, path)])
  }
  if (payload.length === 0) return decodeUnset(iface, mapping, path)

  let value: AstarteValue | Record<string, AstarteValue> | undefined
  let problems: readonly Issue[] = []
  let tMs: Int64 | undefined
  let keys = 0
  let emptyBinaryV = false
  try {
    const r = openRoot(payload)
    const last = r.openDocument(payload.length, 0)
    for (let t = r.nextType(last); t !== 0; t = r.nextType(last)) {
      keys++
      // spec §2.1: Astarte's decoder refuses a document with any key that isn't UTF-8, ignored or not
      const key = r.readKey(last)
      if (key === 'v') {
        emptyBinaryV = t === BsonType.binary && last - r.pos >= 4 && r.int32At(r.pos) === 0
        const read =
          mapping === undefined
            ? readObject(r, t, iface, last, path, direction)
            : readAstarteValue(r, t, mapping.type, last, 0, { path, key: undefined, direction })
        value = undefined
        problems = []
        if (read instanceof Mismatch) problems = [read.issue]
        else if (mapping === undefined && Array.isArray(read)) problems = read as Issue[]
        else value = read as AstarteValue | Record<string, AstarteValue>
      } else if (key === 't' && t === BsonType.datetime) tMs = r.int64(last)
      // spec §2.2: `t` of another type, `m` and unknown keys are ignored (but must be well-formed).
      else r.value(t, last, 0)
    }
  } catch (e) {
    const message = `couldn't decode bson payload at byte ${String(
      e instanceof SdkError ? e.ctx['offset'] : undefined,
    )}`
    return err([issue('undecodable_bson_payload', path, message)])
  }
  // spec §2.2 [quirk]: {"v": <binary of length 0>} alone is an unset.
  if (emptyBinaryV && keys === 1) return decodeUnset(iface, mapping, path)
  if (problems.length > 0) return err(problems)
  if (value === undefined) {
    const message = 'payload has no "v" key (legacy aggregates are not supported)'
    return err([issue('unexpected_value_type', path, message)])
  }

  let timestamp: Date | undefined
  if (tMs !== undefined && first.explicitTimestamp) {
    timestamp = dateFromMs(tMs)
    if (timestamp === undefined) {
      return err([issue('invalid_timestamp', path, 't is outside the Date range')])
    }
  }
  return stamped(
    (mapping === undefined
      ? { kind: 'object', path, value }
      : { kind: 'individual', mapping, path, value }) as DecodedData,
    timestamp,
  )
}
