/**
 * @module protocol property cache: keeps the cached properties consistent with the introspection
 * (spec §3.8) and applies Astarte's consumer purge list (spec §3.6). Mutates only the store.
 */
import type { Interface } from '../interface/model.js'
import type { PropertyStore, StoredProperty } from '../ports.js'
import type { PurgeEntry } from './purge.js'

/** Drops entries whose interface left the introspection or changed major; returns them. */
export function pruneStaleProperties(
  properties: PropertyStore,
  interfaces: readonly Interface[],
): StoredProperty[] {
  const current = new Map(interfaces.map((i) => [i.name, i]))
  const stale = properties.list().filter((p) => {
    const iface = current.get(p.interfaceName)
    return iface === undefined || iface.major !== p.major || iface.ownership !== p.ownership
  })
  for (const p of stale) properties.delete(p.interfaceName, p.path)
  return stale
}

/**
 * Deletes the cached server-owned properties of introspected interfaces that the purge list
 * does not name (they are unset on the server); returns them.
 */
export function applyConsumerPurge(
  properties: PropertyStore,
  interfaces: readonly Interface[],
  listed: readonly PurgeEntry[],
): StoredProperty[] {
  const servers = interfaces.filter((i) => i.ownership === 'server')
  const introspected = new Set(servers.map((i) => i.name))
  const keep = new Set(listed.map((e) => `${e.interfaceName}${e.path}`))
  const purged = properties
    .list('server')
    .filter((p) => introspected.has(p.interfaceName) && !keep.has(`${p.interfaceName}${p.path}`))
  for (const p of purged) properties.delete(p.interfaceName, p.path)
  return purged
}
