/**
 * @module memory store: the `Store` port in memory. `restart()` models a process restart: the
 * durable parts (properties, stored queue, meta) carry over, the volatile queue does not.
 * `batch` models a SQLite transaction over the durable parts, with the faults a test chooses
 * (`StoreFaults`): a failed commit, or a write failing inside it, restores them as they were.
 */
import type {
  KeyValueStore,
  Ownership,
  PropertyStore,
  Store,
  StoredProperty,
} from '@astarte-ts/sdk-core'
import { MemoryQueue, type MemoryQueueSnapshot } from './memory-queue.js'
import { StoreFaults } from './memory-store-faults.js'

/** The writes' view of the transaction state, shared by the durable parts across restarts. */
interface Writes {
  readonly faults: StoreFaults
  depth: number
}

const check = (writes: Writes | undefined): void => writes?.faults.write(writes.depth > 0)

class MemoryProperties implements PropertyStore {
  // interface names hold no `/` and paths start with one, so the concatenation is unique
  #byKey = new Map<string, StoredProperty>()
  readonly writes: Writes | undefined

  constructor(writes?: Writes) {
    this.writes = writes
  }

  get(interfaceName: string, path: string): StoredProperty | undefined {
    return this.#byKey.get(`${interfaceName}${path}`)
  }
  set(property: StoredProperty): void {
    check(this.writes)
    const key = `${property.interfaceName}${property.path}`
    this.#byKey.set(key, { ...property, payload: property.payload.slice() })
  }
  delete(interfaceName: string, path: string): void {
    check(this.writes)
    this.#byKey.delete(`${interfaceName}${path}`)
  }
  list(ownership?: Ownership): StoredProperty[] {
    const all = [...this.#byKey.values()]
    return ownership === undefined ? all : all.filter((p) => p.ownership === ownership)
  }
  snapshot(): Map<string, StoredProperty> {
    return new Map(this.#byKey)
  }
  restore(snapshot: ReadonlyMap<string, StoredProperty>): void {
    this.#byKey = new Map(snapshot)
  }
}

class MemoryMeta implements KeyValueStore {
  #map = new Map<string, string>()
  readonly writes: Writes | undefined

  constructor(writes?: Writes) {
    this.writes = writes
  }

  get(key: string): string | undefined {
    return this.#map.get(key)
  }
  set(key: string, value: string): void {
    check(this.writes)
    this.#map.set(key, value)
  }
  delete(key: string): void {
    check(this.writes)
    this.#map.delete(key)
  }
  snapshot(): Map<string, string> {
    return new Map(this.#map)
  }
  restore(snapshot: ReadonlyMap<string, string>): void {
    this.#map = new Map(snapshot)
  }
}

/** What `restart()` carries over. */
export interface MemoryDurableParts {
  readonly properties: PropertyStore
  readonly meta: KeyValueStore
  readonly storedQueue: MemoryQueue
}

interface Snapshot {
  readonly properties: Map<string, StoredProperty> | undefined
  readonly meta: Map<string, string> | undefined
  readonly storedQueue: MemoryQueueSnapshot
}

/** An in-memory `Store`; see `restart()` for durability and `batch` for transactions. */
export class MemoryStore implements Store {
  readonly properties: PropertyStore
  readonly storedQueue: MemoryQueue
  readonly volatileQueue = new MemoryQueue()
  readonly meta: KeyValueStore
  /** When writes and commits fail; shared with the store `restart()` returns. */
  readonly faults: StoreFaults
  readonly #writes: Writes

  /** `durable`: parts of an earlier store (`restart`), or the test's own; fresh ones otherwise. */
  constructor(durable?: MemoryDurableParts, faults?: StoreFaults) {
    const shared =
      durable?.properties instanceof MemoryProperties ? durable.properties.writes : undefined
    this.#writes = shared ?? { faults: faults ?? new StoreFaults(), depth: 0 }
    this.faults = this.#writes.faults
    const beforeWrite = (): void => check(this.#writes)
    this.properties = durable?.properties ?? new MemoryProperties(this.#writes)
    this.storedQueue = durable?.storedQueue ?? new MemoryQueue({ beforeWrite })
    this.meta = durable?.meta ?? new MemoryMeta(this.#writes)
  }

  /** The store a restarted process would open: same durable data, empty volatile queue. */
  restart(): MemoryStore {
    return new MemoryStore(this)
  }

  /**
   * Runs `fn` in one transaction over the durable parts, as `SqliteStore.batch` does: when `fn`
   * throws or the commit fails (see `faults`), they are as before and the error is rethrown.
   * Nested calls are savepoints: only the outermost commits.
   */
  batch<T>(fn: () => T): T {
    const before = this.#snapshot()
    this.#writes.depth++
    try {
      const result = fn()
      if (this.#writes.depth === 1) this.faults.commit()
      return result
    } catch (e) {
      this.#restore(before)
      throw e
    } finally {
      this.#writes.depth--
    }
  }

  #snapshot(): Snapshot {
    const { properties, meta } = this
    return {
      properties: properties instanceof MemoryProperties ? properties.snapshot() : undefined,
      meta: meta instanceof MemoryMeta ? meta.snapshot() : undefined,
      storedQueue: this.storedQueue.snapshot(),
    }
  }

  #restore(s: Snapshot): void {
    const { properties, meta } = this
    if (properties instanceof MemoryProperties && s.properties) properties.restore(s.properties)
    if (meta instanceof MemoryMeta && s.meta) meta.restore(s.meta)
    this.storedQueue.restore(s.storedQueue)
  }
}
