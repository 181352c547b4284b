/**
 * @module interface parser: interface JSON → `Interface`, applying every rule of spec §1.1–§1.3
 * as Core does and collecting all issues rather than stopping at the first.
 */
import { err, ok, type Issue, type Result } from '../errors.js'
import { issue, pointer } from './issue.js'
import { JsonObject } from './json-object.js'
import { endpointSetIssues, objectIssues, type Located } from './mapping-set-rules.js'
import type { Aggregation, Interface, InterfaceType, Ownership } from './model.js'
import { interfaceNameIssues } from './name.js'
import { parseMapping } from './parse-mapping.js'
import { readTexts } from './texts.js'

const interfaceTypes: readonly InterfaceType[] = ['datastream', 'properties']
const ownerships: readonly Ownership[] = ['device', 'server']
const aggregations: readonly Aggregation[] = ['individual', 'object']
const qualities = ['producer', 'consumer'] as const
const MAX_MAPPINGS = 1024

/**
 * Parses and validates interface JSON (already `JSON.parse`d). Never throws: anything wrong,
 * including wrong JSON types, comes back as issues whose `path` is a JSON Pointer.
 */
export function parseInterface(json: unknown): Result<Interface> {
  const issues: Issue[] = []
  const root = JsonObject.from(json, '', 'an interface', issues)
  if (root === undefined) return err(issues)

  const name = root.require('interface_name') ? root.string('interface_name') : undefined
  if (name !== undefined) issues.push(...interfaceNameIssues(name, root.at('interface_name')))
  const [major, minor] = readVersions(root)
  const type = root.require('type') ? root.oneOf('type', interfaceTypes) : undefined
  const ownership = readOwnership(root)
  const aggregation = readAggregation(root)
  const texts = readTexts(root)
  if (type === 'properties' && aggregation === 'object') {
    const at = root.has('aggregation') ? root.at('aggregation') : root.at('aggregate')
    issues.push(issue('properties_object', at, 'properties interfaces must be individual'))
  }

  const mappingsAt = root.at('mappings')
  const rawMappings = root.require('mappings') ? root.array('mappings') : undefined
  if (rawMappings !== undefined && (rawMappings.length < 1 || rawMappings.length > MAX_MAPPINGS)) {
    const message = `mappings has ${rawMappings.length} entries, allowed 1..1024`
    issues.push(issue('mappings_count', mappingsAt, message))
  }
  const located: Located[] = []
  rawMappings?.forEach((raw, index) => {
    const parsed = parseMapping(raw, mappingsAt + pointer(index), { type, aggregation }, issues)
    if (parsed !== undefined) located.push({ ...parsed, index })
  })
  issues.push(...endpointSetIssues(located))
  if (aggregation === 'object' && type === 'datastream') {
    issues.push(...objectIssues(located, mappingsAt))
  }

  if (
    issues.length > 0 ||
    name === undefined ||
    major === undefined ||
    minor === undefined ||
    type === undefined ||
    ownership === undefined ||
    aggregation === undefined
  ) {
    return err(issues)
  }
  const mappings = located.flatMap((l) => l.mapping ?? [])
  return ok({ name, major, minor, type, ownership, aggregation, ...texts, mappings })
}

/** spec §1.3-B: integers ≥ 0, not both 0. */
function readVersions(root: JsonObject): [major: number | undefined, minor: number | undefined] {
  const read = (key: 'version_major' | 'version_minor'): number | undefined => {
    const v = root.require(key) ? root.integer(key) : undefined
    if (v === undefined || v >= 0) return v
    root.report(issue('version_negative', root.at(key), `${key} must be >= 0, not ${v}`))
    return undefined
  }
  const major = read('version_major')
  const minor = read('version_minor')
  if (major === 0 && minor === 0) {
    const message = 'version 0.0 is not allowed: version_minor must be > 0 when version_major is 0'
    root.report(issue('version_zero', root.at('version_minor'), message))
  }
  return [major, minor]
}

/** `ownership`, or the legacy `quality` alias when `ownership` is absent (spec §1.1). */
function readOwnership(root: JsonObject): Ownership | undefined {
  if (root.has('ownership') || !root.has('quality')) {
    return root.require('ownership') ? root.oneOf('ownership', ownerships) : undefined
  }
  const quality = root.oneOf('quality', qualities)
  return quality === undefined ? undefined : quality === 'producer' ? 'device' : 'server'
}

/** `aggregation` (default individual), or the legacy `aggregate: true` when it is absent. */
function readAggregation(root: JsonObject): Aggregation | undefined {
  if (root.has('aggregation')) return root.oneOf('aggregation', aggregations)
  if (!root.has('aggregate')) return 'individual'
  const aggregate = root.boolean('aggregate')
  return aggregate === undefined ? undefined : aggregate ? 'object' : 'individual'
}

/** Parses interface JSON text; malformed JSON is a `json_syntax` issue at the root. */
export function parseInterfaceText(text: string): Result<Interface> {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    const detail = e instanceof Error ? `: ${e.message.toLowerCase()}` : ''
    return err([issue('json_syntax', '', `interface text is not well-formed json${detail}`)])
  }
  return parseInterface(json)
}
