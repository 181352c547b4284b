/**
 * @module protocol introspection: the `name:major:minor;…` string a device publishes on `P`
 * (spec §3.3). Encoding is canonical (sorted by name) so that two equal interface sets always
 * give the same text, which the device compares with the last one it sent.
 */
import { err, ok } from '../errors.js'
import type { Issue, Result } from '../errors.js'
import { anyIssue } from '../interface/issue.js'

/** One introspection entry. */
export interface IntrospectionEntry {
  readonly name: string
  readonly major: number
  readonly minor: number
}

// spec §1.3-A, anchored; DUP checks introspection names with this regex only (spec §3.3)
// (not `isValidInterfaceName`: DUP checks neither length nor reserved names here)
/**
 * Whether `name` matches `^([a-zA-Z][a-zA-Z0-9]*\.([a-zA-Z0-9][a-zA-Z0-9-]*\.)*)?[a-zA-Z][a-zA-Z0-9]*$`:
 * no part holds a dot, so each dot-separated part is checked alone (Espruino's RegExp has no
 * quantified or optional groups): the first and the last as `[a-zA-Z][a-zA-Z0-9]*`, the others
 * as `[a-zA-Z0-9][a-zA-Z0-9-]*`.
 */
export function isIntrospectionName(name: string): boolean {
  const parts = name.split('.')
  return parts.every((part, i) =>
    (i === 0 || i === parts.length - 1
      ? /^[a-zA-Z][a-zA-Z0-9]*$/
      : /^[a-zA-Z0-9][a-zA-Z0-9-]*$/
    ).test(part),
  )
}
// Elixir `Integer.parse/1` with nothing left over: optional sign, decimal digits (`^[+-]?[0-9]+$`,
// as a top-level alternative: Espruino's RegExp has no `?`)
export const FULL_INTEGER_RE = /^[0-9]+$|^[+-][0-9]+$/

/** `name:major:minor` entries joined by `;`, sorted by name; `''` for no interfaces. */
export function encodeIntrospection(interfaces: readonly IntrospectionEntry[]): string {
  return [...interfaces]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((i) => `${i.name}:${i.major}:${i.minor}`)
    .join(';')
}

/** The version in `text`, or `undefined` with its issue added to `issues`. */
function parseVersion(
  text: string,
  index: number,
  field: 'major' | 'minor',
  issues: Issue[],
): number | undefined {
  // parseInt, not Number: Espruino's Number reads `010` as octal
  const value = FULL_INTEGER_RE.test(text) ? parseInt(text, 10) : NaN
  if (!Number.isSafeInteger(value) || value < 0) {
    const message = `${field} version must be an integer >= 0`
    issues.push(anyIssue('introspection_version', `/${index}/${field}`, message))
    return undefined
  }
  // `-0` parses to 0, which DUP accepts
  return value === 0 ? 0 : value
}

/**
 * Parses an introspection string as strictly as DUP (spec §3.3): any bad entry rejects the
 * whole message; duplicate names keep the last versions; `''` is the empty set.
 */
export function parseIntrospection(text: string): Result<IntrospectionEntry[]> {
  if (text === '') return ok([])
  const byName = new Map<string, IntrospectionEntry>()
  const issues: Issue[] = []
  text.split(';').forEach((entry, index) => {
    const parts = entry.split(':')
    if (parts.length !== 3) {
      issues.push(anyIssue('introspection_entry', `/${index}`, 'entry must be name:major:minor'))
      return
    }
    const [name, majorText, minorText] = parts as [string, string, string]
    if (!isIntrospectionName(name)) {
      const message = 'interface name does not match the interface name syntax'
      issues.push(anyIssue('introspection_name', `/${index}/name`, message))
    }
    const major = parseVersion(majorText, index, 'major', issues)
    const minor = parseVersion(minorText, index, 'minor', issues)
    if (major !== undefined && minor !== undefined) byName.set(name, { name, major, minor })
  })
  return issues.length > 0 ? err(issues) : ok([...byName.values()])
}
