/**
 * @module mapping parser: one mapping object → `Mapping` with defaults applied (spec §1.2), and
 * the per-mapping rules §1.3-C/D/E/F/G. Cross-mapping rules live in `mapping-set-rules.ts`.
 */
import type { Issue } from '../errors.js'
import { issue, quote } from './issue.js'
import { JsonObject } from './json-object.js'
import type {
  Aggregation,
  DatabaseRetentionPolicy,
  EndpointLevel,
  InterfaceType,
  Mapping,
} from './model.js'
import { readEndpoint } from './parse-endpoint.js'
import { readTexts } from './texts.js'
import { astarteTypes, reliabilities, retentions } from './astarte-types.js'

const retentionPolicies: readonly DatabaseRetentionPolicy[] = ['no_ttl', 'use_ttl']

/**
 * A mapping's optional fields (spec §1.2): JSON key, `Mapping` key, default (a boolean field's is
 * false; an integer field's 0 or none), allowed strings of an enum field, and the interface kind
 * on which the field must be blank (spec §1.3-F).
 */
export const optionalFields: readonly (readonly [
  json: string,
  name: keyof Mapping,
  dflt: unknown,
  allowed?: readonly string[] | undefined,
  blankOn?: 'properties' | 'datastream' | 'individual',
])[] = [
  ['reliability', 'reliability', 'unreliable', reliabilities, 'properties'],
  ['retention', 'retention', 'discard', retentions, 'properties'],
  ['expiry', 'expiry', 0, , 'properties'],
  [
    'database_retention_policy',
    'databaseRetentionPolicy',
    'no_ttl',
    retentionPolicies,
    'properties',
  ],
  ['database_retention_ttl', 'databaseRetentionTtl', undefined, , 'properties'],
  ['allow_unset', 'allowUnset', false, , 'datastream'],
  ['explicit_timestamp', 'explicitTimestamp', false, , 'properties'],
  ['required', 'required', false, , 'individual'],
  // Core casts it as a boolean on every kind of mapping, no other rule applies
  ['encrypted', 'encrypted', false],
]

/** spec §1.3-G: 60 ≤ ttl < 20×365 days. */
const MIN_TTL = 60
const MAX_TTL_EXCLUSIVE = 630_720_000

/** What a mapping needs to know of its interface; absent when the interface field was invalid. */
export interface MappingContext {
  readonly type: InterfaceType | undefined
  readonly aggregation: Aggregation | undefined
}

/**
 * A mapping with a well-formed endpoint, enough for the endpoint-set rules; `mapping` is absent
 * when another field (its type) is unusable.
 */
export interface ParsedMapping {
  readonly endpoint: string
  readonly levels: readonly EndpointLevel[]
  /** JSON Pointer of the field the endpoint came from (`endpoint` or legacy `path`). */
  readonly endpointAt: string
  readonly mapping: Mapping | undefined
}

/** Parses the mapping at `at`; undefined when its endpoint is unusable (issues recorded). */
export function parseMapping(
  value: unknown,
  at: string,
  context: MappingContext,
  issues: Issue[],
): ParsedMapping | undefined {
  const json = JsonObject.from(value, at, 'a mapping', issues)
  if (json === undefined) return undefined
  // Legacy alias (spec §1.1): `path` stands in for a missing `endpoint`.
  const endpointKey = !json.has('endpoint') && json.has('path') ? 'path' : 'endpoint'
  const endpoint = json.require(endpointKey) ? json.string(endpointKey) : undefined
  const levels = endpoint === undefined ? undefined : readEndpoint(json, endpointKey, endpoint)
  const type = json.require('type') ? json.oneOf('type', astarteTypes) : undefined

  // spec §1.3-F [quirk]: "set" means set to a value other than the default.
  const kinds = {
    properties: context.type,
    datastream: context.type,
    individual: context.aggregation,
  }
  const field: Record<string, unknown> = {}
  const read: Record<string, unknown> = {}
  for (const [key, name, dflt, allowed, blankOn] of optionalFields) {
    const v =
      (read[key] = allowed
        ? json.oneOf(key, allowed)
        : dflt === false
          ? json.boolean(key)
          : json.integer(key)) ?? dflt
    if (v !== undefined) field[name] = v
    if (blankOn && kinds[blankOn] === blankOn && v !== dflt) {
      const message = `${key} must be blank on ${blankOn} interfaces, not ${quote(v)}`
      json.report(issue('must_be_blank', json.at(key), message))
    }
  }
  const expiry = field['expiry'] as number
  const ttl = field['databaseRetentionTtl'] as number | undefined
  const texts = readTexts(json)

  if (expiry < 0) {
    json.report(issue('expiry_negative', json.at('expiry'), `expiry must be >= 0, not ${expiry}`))
  }
  if (ttl !== undefined && (ttl < MIN_TTL || ttl >= MAX_TTL_EXCLUSIVE)) {
    const message = `database_retention_ttl must be in [60, 630720000), not ${ttl}`
    json.report(issue('ttl_range', json.at('database_retention_ttl'), message))
  }
  if (context.type === 'datastream') {
    const policy = read['database_retention_policy'] as DatabaseRetentionPolicy | undefined
    checkTtlPolicy(json, policy, ttl)
  }

  if (endpoint === undefined || levels === undefined) return undefined
  const endpointAt = json.at(endpointKey)
  if (type === undefined) return { endpoint, levels, endpointAt, mapping: undefined }
  const mapping = { endpoint, levels, type, ...field, ...texts } as unknown as Mapping
  return { endpoint, levels, endpointAt, mapping }
}

/** spec §1.3-G: a ttl exactly when the policy is `use_ttl`. */
function checkTtlPolicy(
  json: JsonObject,
  policy: DatabaseRetentionPolicy | undefined,
  ttl: number | undefined,
): void {
  const policyValid = policy !== undefined || !json.has('database_retention_policy')
  const ttlAbsent = !json.has('database_retention_ttl')
  if (policy === 'use_ttl' && ttlAbsent) {
    const message = 'database_retention_policy use_ttl needs a database_retention_ttl'
    json.report(issue('ttl_missing', json.at('database_retention_policy'), message))
  }
  if (policyValid && policy !== 'use_ttl' && ttl !== undefined) {
    const message = `database_retention_ttl ${ttl} is set but database_retention_policy is no_ttl`
    json.report(issue('ttl_without_use_ttl', json.at('database_retention_ttl'), message))
  }
}
