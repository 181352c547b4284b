/**
 * @module storage store: sdk-core's `Store` on Espruino's `Storage` (named files in flash). Each
 * part lives in RAM and is written back whole, as one small JSON file, on every change:
 * `<prefix>.p` the property cache, `<prefix>.m` the device's small values, `<prefix>.q` the
 * `stored` retention ring. The ring is bounded in bytes (topic + payload): past the bound the
 * oldest messages are dropped, reported through `onOverflow`. Payloads are base64 in the files.
 * `volatile` retention stays in RAM. Espruino's Storage appends a new copy of a file on write and
 * compacts when full, so a small bound also keeps flash wear down. The MQTT session
 * (`openStorageSessionStore`) is one small file per record, `<prefix>.s<n>`.
 */
import { isExpired } from '@astarte-ts/sdk-core'
import type {
  KeyValueStore,
  MqttSessionStore,
  NewQueuedMessage,
  PropertyStore,
  QueuedMessage,
  RetentionQueue,
  Store,
  StoredProperty,
} from '@astarte-ts/sdk-core'
import { fromBase64, fromBinary, toBase64, toBinary } from './bytes.js'
import type { EspruinoStorage } from './espruino.js'

export interface StorageStoreOptions {
  /** File name prefix; Espruino names are at most 28 characters. Default `astarte`. */
  readonly prefix?: string
  /** Bytes (topics + payloads) the `stored` ring keeps at most; default 4096. */
  readonly maxStoredBytes?: number
  /** A message dropped to keep the ring within its bound. */
  readonly onOverflow?: (dropped: QueuedMessage) => void
}

/** A property as its file keeps it: `[interface, major, path, "d" | "s", base64 payload]`. */
type PropertyRow = [string, number, string, string, string]
/** A queued message as its file keeps it. */
type MessageRow = [number, string, string, 0 | 1 | 2, number, number | null]

const keyOf = (interfaceName: string, path: string): string => `${interfaceName} ${path}`

function toRow(m: QueuedMessage): MessageRow {
  return [m.id, m.topic, toBase64(m.payload), m.qos, m.createdMs, m.expiresMs]
}

function fromRow(r: MessageRow): QueuedMessage {
  return {
    id: r[0],
    topic: r[1],
    payload: fromBase64(r[2]),
    qos: r[3],
    createdMs: r[4],
    expiresMs: r[5],
  }
}

const weight = (m: QueuedMessage): number => m.topic.length + m.payload.length

/**
 * A retention queue in RAM; `save` (when given) persists it after each change, handed the queue's
 * own array (it may drop messages from it) and the next id.
 */
export class ArrayQueue implements RetentionQueue {
  #items: QueuedMessage[]
  #nextId: number
  readonly #save: (items: QueuedMessage[], nextId: number) => void

  constructor(
    items: QueuedMessage[] = [],
    nextId = 1,
    save: (items: QueuedMessage[], nextId: number) => void = () => undefined,
  ) {
    this.#items = items
    this.#nextId = nextId
    this.#save = save
  }

  enqueue(message: NewQueuedMessage): QueuedMessage {
    const queued = { ...message, payload: message.payload.slice(), id: this.#nextId++ }
    this.#items.push(queued)
    this.#save(this.#items, this.#nextId)
    return queued
  }

  peek(limit: number, nowMs: number): QueuedMessage[] {
    const live = this.#items.filter((m) => !isExpired(m, nowMs))
    if (live.length !== this.#items.length) {
      this.#items = live
      this.#save(live, this.#nextId)
    }
    return live.slice(0, limit)
  }

  remove(id: number): void {
    const at = this.#items.findIndex((m) => m.id === id)
    if (at < 0) return
    this.#items.splice(at, 1)
    this.#save(this.#items, this.#nextId)
  }

  count(): number {
    return this.#items.length
  }
}

/** Opens (or creates) the store in `storage`. */
export function openStorageStore(
  storage: EspruinoStorage,
  options: StorageStoreOptions = {},
): Store {
  const prefix = options.prefix ?? 'astarte'
  const maxBytes = options.maxStoredBytes ?? 4096
  const read = <T>(suffix: string, empty: T): T =>
    (storage.readJSON(`${prefix}.${suffix}`, true) as T | undefined) ?? empty
  const write = (suffix: string, data: unknown): void => {
    storage.writeJSON(`${prefix}.${suffix}`, data)
  }

  const props = read<Record<string, PropertyRow>>('p', {})
  const properties: PropertyStore = {
    get(interfaceName, path) {
      const r = props[keyOf(interfaceName, path)]
      return r === undefined ? undefined : toProperty(r)
    },
    set(p) {
      props[keyOf(p.interfaceName, p.path)] = [
        p.interfaceName,
        p.major,
        p.path,
        p.ownership === 'server' ? 's' : 'd',
        toBase64(p.payload),
      ]
      write('p', props)
    },
    delete(interfaceName, path) {
      const key = keyOf(interfaceName, path)
      if (props[key] === undefined) return
      delete props[key]
      write('p', props)
    },
    list(ownership) {
      return Object.keys(props)
        .map((k) => toProperty(props[k] as PropertyRow))
        .filter((p) => ownership === undefined || p.ownership === ownership)
    },
  }

  const values = read<Record<string, string>>('m', {})
  const meta: KeyValueStore = {
    get: (key) => values[key],
    set(key, value) {
      values[key] = value
      write('m', values)
    },
    delete(key) {
      if (values[key] === undefined) return
      delete values[key]
      write('m', values)
    },
  }

  const saved = read<{ n: number; q: MessageRow[] }>('q', { n: 1, q: [] })
  const storedQueue = new ArrayQueue(saved.q.map(fromRow), saved.n, (items, nextId) => {
    let bytes = 0
    for (const m of items) bytes += weight(m)
    while (bytes > maxBytes && items.length > 0) {
      const dropped = items.shift() as QueuedMessage
      bytes -= weight(dropped)
      options.onOverflow?.(dropped)
    }
    write('q', { n: nextId, q: items.map(toRow) })
  })
  return { properties, storedQueue, volatileQueue: new ArrayQueue(), meta }
}

function toProperty(r: PropertyRow): StoredProperty {
  return {
    interfaceName: r[0],
    major: r[1],
    path: r[2],
    ownership: r[3] === 's' ? 'server' : 'device',
    payload: fromBase64(r[4]),
  }
}

/**
 * sdk-core's `MqttSessionStore` on Storage: one file per record, `<prefix>.s<n>` (`s0` the
 * incoming QoS 2 ids, `s<n>` a publish in flight, as its PUBLISH), its bytes as an 8-bit string. A
 * publish in flight costs one small file written before it is sent (QoS 2: a second at PUBREC)
 * and an erase at its ack; no other record is rewritten. A record Storage refuses (full) is not
 * kept and `onDropped` is told: that publish is re-published as a new message after a reboot.
 */
export function openStorageSessionStore(
  storage: EspruinoStorage,
  prefix = 'astarte',
  onDropped: (key: number, bytes: number) => void = () => undefined,
): MqttSessionStore {
  const head = `${prefix}.s`
  return {
    load: () =>
      storage
        .list()
        .filter((name) => name.indexOf(head) === 0)
        .map((name) => [Number(name.slice(head.length)), fromBinary(storage.read(name) ?? '')]),
    put(key, record) {
      try {
        // an empty record is no record (and Storage may refuse an empty file)
        if (record.length === 0) storage.erase(head + key)
        else if (!storage.write(head + key, toBinary(record))) throw new RangeError()
      } catch {
        onDropped(key, record.length)
      }
    },
    delete: (key) => storage.erase(head + key),
  }
}
