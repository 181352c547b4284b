/**
 * @module path resolution: concrete paths → mappings as DUP does (spec §1.3-I last bullet, §1.3-K,
 * §3.2). Pure; the endpoint tree of an interface is compiled once and cached per `Interface`.
 */
import { err, ok, type Issue, type Result } from '../errors.js'
import { hasLoneSurrogate } from '../bson/utf8.js'
import { issue, quote } from './issue.js'
import type { Interface, Mapping } from './model.js'

interface Node {
  readonly literals: Map<string, Node>
  wildcard: Node | undefined
  readonly leaves: Mapping[]
}

const newNode = (): Node => ({ literals: new Map(), wildcard: undefined, leaves: [] })

const trees = new WeakMap<Interface, Node>()

function treeOf(iface: Interface): Node {
  const cached = trees.get(iface)
  if (cached !== undefined) return cached
  const root = newNode()
  for (const mapping of iface.mappings) {
    let node = root
    for (const level of mapping.levels) {
      if (level.kind === 'parameter') {
        node.wildcard ??= newNode()
        node = node.wildcard
      } else {
        const next = node.literals.get(level.text) ?? newNode()
        node.literals.set(level.text, next)
        node = next
      }
    }
    node.leaves.push(mapping)
  }
  trees.set(iface, root)
  return root
}

/**
 * Levels of a concrete path (spec §1.3-K): leading `/`, no empty level (so no `//` or trailing
 * `/`), no `+`/`#` (MQTT wildcards), no U+0000 (MQTT topic names), encodable as UTF-8. `/` alone
 * is the root (zero levels) only where `allowRoot`, i.e. for legacy depth-1 object paths (spec
 * §3.2).
 */
function concreteLevels(path: string, allowRoot: boolean): Result<string[]> {
  const bad = (why: string): Result<never> =>
    err([issue('invalid_path', path, `path ${quote(path)} ${why}`)])
  if (!path.startsWith('/')) return bad("doesn't start with '/'")
  if (allowRoot && path === '/') return ok([])
  const levels = path.slice(1).split('/')
  if (levels.some((l) => l === '')) return bad('has an empty level')
  if (levels.some((l) => l.includes('+') || l.includes('#'))) return bad("contains '+' or '#'")
  // the path becomes part of an MQTT topic name, where U+0000 makes the broker close the
  // connection [MQTT-1.5.3-2]: a stored message or property would replay into it forever
  if (path.includes('\u0000')) return bad('contains U+0000')
  if (hasLoneSurrogate(path)) return bad('is not valid utf-8 (lone surrogate)')
  return ok(levels)
}

/**
 * Resolves a concrete path (`/kitchen/temperature`) to the one mapping whose endpoint matches it.
 * Issues: `invalid_path`, `mapping_not_found`, `ambiguous_path` (the path names an inner node).
 */
export function resolveIndividualPath(iface: Interface, path: string): Result<Mapping> {
  const levels = concreteLevels(path, false)
  if (!levels.ok) return levels
  let states: Node[] = [treeOf(iface)]
  for (const level of levels.value) {
    const next: Node[] = []
    for (const state of states) {
      const literal = state.literals.get(level)
      if (literal !== undefined) next.push(literal)
      if (state.wildcard !== undefined) next.push(state.wildcard)
    }
    if (next.length === 0) return err([notFound(iface, path)])
    states = next
  }
  const leaves = states.flatMap((s) => s.leaves)
  const [mapping] = leaves
  if (mapping !== undefined && leaves.length === 1 && states.length === 1) return ok(mapping)
  return err([
    issue(
      'ambiguous_path',
      path,
      `path ${quote(path)} stops on an inner node of ${iface.name}, not on one mapping`,
    ),
  ])
}

const notFound = (iface: Interface, path: string): Issue =>
  issue('mapping_not_found', path, `no mapping of ${iface.name} matches path ${quote(path)}`)

/**
 * Checks an object-aggregate path: the instantiated common prefix (`/sensor1` for
 * `/%{id}/temp` + `/%{id}/hum`, `/` for legacy depth-1 objects, spec §3.2) and returns the
 * interface's mappings. Issues: `aggregation_mismatch`, `invalid_path`, `mapping_not_found`.
 */
export function resolveObjectPath(iface: Interface, path: string): Result<readonly Mapping[]> {
  if (iface.aggregation !== 'object') {
    return err([
      issue('aggregation_mismatch', path, `${iface.name} is individual, not object-aggregated`),
    ])
  }
  const levels = concreteLevels(path, true)
  if (!levels.ok) return levels
  // spec §1.3-J: every endpoint shares the prefix, so the first mapping speaks for all.
  const prefix = iface.mappings[0]?.levels.slice(0, -1) ?? []
  const matches =
    prefix.length === levels.value.length &&
    prefix.every((level, i) => level.kind === 'parameter' || level.text === levels.value[i])
  return matches ? ok(iface.mappings) : err([notFound(iface, path)])
}

/** The object key of a mapping: its endpoint's last level (spec §1.3-J). */
export function objectKey(mapping: Mapping): string {
  return mapping.endpoint.slice(mapping.endpoint.lastIndexOf('/') + 1)
}

/**
 * Parameter values of a concrete path (or object prefix path) matched by `mapping`:
 * `/%{room}/temperature` with `/kitchen/temperature` → `{ room: 'kitchen' }`. Assumes the path
 * resolved to this mapping; levels past the path's end are left out.
 */
export function endpointParameters(mapping: Mapping, path: string): Record<string, string> {
  const values = path === '/' ? [] : path.slice(1).split('/')
  const entries: [string, string][] = []
  mapping.levels.forEach((level, i) => {
    const value = values[i]
    if (level.kind === 'parameter' && value !== undefined) entries.push([level.name, value])
  })
  // fromEntries defines own properties, so a parameter named __proto__ stays a plain key.
  return Object.fromEntries(entries)
}
