/**
 * @module resolve cache: path → mapping(s) and object key → mapping per interface, memoized.
 * Interfaces are immutable, so results never go stale; each interface keeps at most
 * `MAX_PATHS` resolved paths (parameters make the set of paths unbounded), then starts over.
 */
import type { Result } from '../errors.js'
import {
  objectKey as objectKeyBinding,
  resolveIndividualPath as resolveIndividualBinding,
  resolveObjectPath as resolveObjectBinding,
} from '../interface/index.js'
import type { Interface, Mapping } from '../interface/model.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const objectKey = objectKeyBinding
const resolveIndividualPath = resolveIndividualBinding
const resolveObjectPath = resolveObjectBinding

const MAX_PATHS = 256

interface Cache {
  readonly byKey: ReadonlyMap<string, Mapping>
  readonly requiredKeys: readonly string[]
  readonly individual: Map<string, Result<Mapping>>
  readonly object: Map<string, Result<readonly Mapping[]>>
}

const caches = new WeakMap<Interface, Cache>()

function cacheOf(iface: Interface): Cache {
  let cache = caches.get(iface)
  if (cache === undefined) {
    const byKey = new Map(iface.mappings.map((m) => [objectKey(m), m]))
    const requiredKeys = iface.mappings.filter((m) => m.required).map(objectKey)
    cache = { byKey, requiredKeys, individual: new Map(), object: new Map() }
    caches.set(iface, cache)
  }
  return cache
}

function memo<T>(paths: Map<string, T>, path: string, resolve: () => T): T {
  let hit = paths.get(path)
  if (hit === undefined) {
    hit = resolve()
    if (paths.size >= MAX_PATHS) paths.clear()
    paths.set(path, hit)
  }
  return hit
}

/** `resolveIndividualPath`, memoized. */
export function cachedIndividualPath(iface: Interface, path: string): Result<Mapping> {
  return memo(cacheOf(iface).individual, path, () => resolveIndividualPath(iface, path))
}

/** `resolveObjectPath`, memoized. */
export function cachedObjectPath(iface: Interface, path: string): Result<readonly Mapping[]> {
  return memo(cacheOf(iface).object, path, () => resolveObjectPath(iface, path))
}

/** Object key (last endpoint level) → mapping. */
export function mappingsByKey(iface: Interface): ReadonlyMap<string, Mapping> {
  return cacheOf(iface).byKey
}

/** Object keys of the mappings marked `required`. */
export function requiredObjectKeys(iface: Interface): readonly string[] {
  return cacheOf(iface).requiredKeys
}
