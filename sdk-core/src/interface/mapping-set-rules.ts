/**
 * @module mapping set rules: the rules spanning several mappings — uniqueness (spec §1.3-H),
 * overlap (§1.3-I) and object aggregation (§1.3-J). Each offending mapping is reported once,
 * against the first earlier mapping it clashes with, so issues stay linear in the mapping count.
 */
import type { Issue } from '../errors.js'
import { issue, pointer, quote } from './issue.js'
import { endpointsOverlap, uniquenessKey } from './overlap.js'
import { optionalFields, type ParsedMapping } from './parse-mapping.js'

/** A parsed mapping and its index in `mappings`. */
export interface Located extends ParsedMapping {
  readonly index: number
}

export function endpointSetIssues(located: readonly Located[]): Issue[] {
  const issues: Issue[] = []
  const firstByKey = new Map<string, Located>()
  located.forEach((current, n) => {
    const { endpoint } = current
    const key = uniquenessKey(endpoint)
    const same = firstByKey.get(key)
    if (same === undefined) firstByKey.set(key, current)
    else {
      const message =
        `endpoint ${quote(endpoint)} duplicates ${quote(same.endpoint)} ` +
        `of mapping ${same.index} (placeholders stripped, case ignored)`
      issues.push(issue('duplicate_endpoint', current.endpointAt, message))
    }
    const clash = located.find(
      (earlier, m) => m < n && endpointsOverlap(earlier.levels, current.levels),
    )
    if (clash !== undefined) {
      const message =
        `endpoint ${quote(endpoint)} overlaps ${quote(clash.endpoint)} ` +
        `of mapping ${clash.index}: one path could resolve to both or to an inner node`
      issues.push(issue('overlapping_endpoints', current.endpointAt, message))
    }
  })
  return issues
}

// spec §1.3-J: every optional field but `required` and `encrypted`
const objectAttributes = optionalFields.filter(([key]) => key !== 'required' && key !== 'encrypted')

const prefixOf = (endpoint: string): string => endpoint.slice(0, endpoint.lastIndexOf('/'))

/** spec §1.3-J: shared attributes and a shared raw prefix (parameter names included). */
export function objectIssues(located: readonly Located[], mappingsAt: string): Issue[] {
  return [...prefixIssues(located), ...attributeIssues(located, mappingsAt)]
}

function prefixIssues(located: readonly Located[]): Issue[] {
  const [first, ...rest] = located
  if (first === undefined) return []
  const prefix = prefixOf(first.endpoint)
  return rest
    .filter((current) => prefixOf(current.endpoint) !== prefix)
    .map((current) => {
      const message =
        `object endpoint ${quote(current.endpoint)} must share the prefix ` +
        `${quote(prefix)} of mapping ${first.index}`
      return issue('object_prefix_differs', current.endpointAt, message)
    })
}

function attributeIssues(located: readonly Located[], mappingsAt: string): Issue[] {
  const typed = located.flatMap(({ mapping, index }) => (mapping ? [{ mapping, index }] : []))
  const [first, ...rest] = typed
  if (first === undefined) return []
  const issues: Issue[] = []
  for (const { mapping, index } of rest) {
    for (const [key, field] of objectAttributes) {
      if (mapping[field] === first.mapping[field]) continue
      const message =
        `object mappings must share ${key}: ${quote(mapping[field] ?? null)} here, ` +
        `${quote(first.mapping[field] ?? null)} in mapping ${first.index}`
      issues.push(issue('object_attributes_differ', mappingsAt + pointer(index, key), message))
    }
  }
  return issues
}
