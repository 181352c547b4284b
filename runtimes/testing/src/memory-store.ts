/**
 * @module memory store: the `Store` port in memory. `restart()` models a process restart: the
 * durable parts (properties, stored queue, meta) carry over, the volatile queue does not.
 */
import type {
  KeyValueStore,
  Ownership,
  PropertyStore,
  Store,
  StoredProperty,
} from '@astarte-ts/sdk-core'
import { MemoryQueue } from './memory-queue.js'

class MemoryProperties implements PropertyStore {
  // interface names hold no `/` and paths start with one, so the concatenation is unique
  readonly #byKey = new Map<string, StoredProperty>()

  get(interfaceName: string, path: string): StoredProperty | undefined {
    return this.#byKey.get(`${interfaceName}${path}`)
  }
  set(property: StoredProperty): void {
    const key = `${property.interfaceName}${property.path}`
    this.#byKey.set(key, { ...property, payload: property.payload.slice() })
  }
  delete(interfaceName: string, path: string): void {
    this.#byKey.delete(`${interfaceName}${path}`)
  }
  list(ownership?: Ownership): StoredProperty[] {
    const all = [...this.#byKey.values()]
    return ownership === undefined ? all : all.filter((p) => p.ownership === ownership)
  }
}

class MemoryMeta implements KeyValueStore {
  readonly #map = new Map<string, string>()
  get(key: string): string | undefined {
    return this.#map.get(key)
  }
  set(key: string, value: string): void {
    this.#map.set(key, value)
  }
  delete(key: string): void {
    this.#map.delete(key)
  }
}

/** An in-memory `Store`; see `restart()` for durability. */
export class MemoryStore implements Store {
  readonly properties: PropertyStore
  readonly storedQueue: MemoryQueue
  readonly volatileQueue = new MemoryQueue()
  readonly meta: KeyValueStore

  constructor(
    durable?: Pick<Store, 'properties' | 'meta'> & { readonly storedQueue: MemoryQueue },
  ) {
    this.properties = durable?.properties ?? new MemoryProperties()
    this.storedQueue = durable?.storedQueue ?? new MemoryQueue()
    this.meta = durable?.meta ?? new MemoryMeta()
  }

  /** The store a restarted process would open: same durable data, empty volatile queue. */
  restart(): MemoryStore {
    return new MemoryStore(this)
  }
}
