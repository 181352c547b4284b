/**
 * @module preference store: sdk-core's `Store` on Moddable's `Preference` (ESP32 NVS: keys and
 * domains of 15 characters at most, values of 4000 bytes at most). One record per cached
 * property (`astp`/`p<n>`) and per stored message (`astq`/`q<id>`), each a JSON array with the
 * payload in base64; `meta` as one JSON object (`astm`/`m`). Indexes are rebuilt from
 * `Preference.keys` when the store opens. The `stored` queue is a ring bounded in bytes and in
 * messages: the oldest message goes when a new one would not fit, one larger than the ring is
 * refused. `volatile` lives in memory. The MQTT session (`openPreferenceSessionStore`) is one
 * ArrayBuffer per record (`astms`/`<n>`). A record over one value is split in chunks under a
 * head written last: a reboot between any two writes leaves it whole, old or new, or absent,
 * never mixed (see `chunk`).
 */
import {
  base64Decode,
  base64Encode,
  SdkError,
  type KeyValueStore,
  type MqttSessionStore,
  type NewQueuedMessage,
  type Ownership,
  type PropertyStore,
  type QueuedMessage,
  type RetentionQueue,
  type Store,
  type StoredProperty,
} from '@astarte-ts/sdk-core'

/** Moddable's `Preference` module, as the store uses it (handed in, so any NVS-like store fits). */
export interface PreferenceApi {
  get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined
  set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void
  delete(domain: string, key: string): void
  keys(domain: string): string[]
}

/** Bounds of the `stored` ring. */
export interface StoreLimits {
  /** Payload and topic bytes kept at most; default 16 KiB (NVS partitions are small). */
  readonly storedBytes?: number
  /** Messages kept at most; default 64. */
  readonly storedCount?: number
  /** `volatile` messages kept in memory at most; default 64. */
  readonly volatileCount?: number
}

/** The `stored` queue's key holding the next id when no message key implies it. */
const NEXT_ID = 'n'

/** NVS's limit on a value: a blob of 4000 bytes, a string of 3999 (4000 with its NUL). */
const MAX_VALUE = 4000
const MAX_TEXT = 3999

/*
 * A record NVS can't take in one value is split in chunks of `MAX_TEXT` characters (bytes: the
 * text is ASCII, base64 and Astarte's names): its key holds a head, the number
 * `chunks × 2 + set`, and the chunks are `<key>.<i>` (set 0) or `<key>:<i>` (set 1). A record
 * that fits is the value itself under its key, as it always was. A write puts its chunks in the
 * set the live head does not use, then the head (the commit), then deletes the old chunks. A
 * reboot between any two `Preference` calls leaves the previous version (chunks cut short), no
 * record (inside the head's own write, which `Preference.set` does as an erase then a write) or
 * the new version (old chunks left over), never a mix: a head only ever counts chunks written
 * before it, which nothing touches while it is live. `recordKeys` deletes the chunks no head
 * counts when a store opens.
 */
const chunk = (key: string, head: number, i: number): string => key + (head & 1 ? ':' : '.') + i

/** Deletes the chunks `head` counts; a value that is no head counts none (`>> 1` makes it 0). */
function dropChunks(prefs: PreferenceApi, domain: string, key: string, head: unknown): void {
  for (let i = 0; i < (head as number) >> 1; i++)
    prefs.delete(domain, chunk(key, head as number, i))
}

/** Deletes a record, head first: no head outlives one of its chunks. */
function dropRecord(prefs: PreferenceApi, domain: string, key: string): void {
  const head = prefs.get(domain, key)
  prefs.delete(domain, key)
  dropChunks(prefs, domain, key, head)
}

/**
 * Writes a record: a string over `MAX_TEXT` in chunks, anything else as one value. A write NVS
 * refuses (a full partition) throws `local.store_value_too_large` with the new chunks deleted:
 * the previous version stays, unless `Preference.set` had erased the key itself.
 */
function putRecord(
  prefs: PreferenceApi,
  domain: string,
  key: string,
  value: string | ArrayBuffer,
): void {
  const old = prefs.get(domain, key)
  const n = typeof value === 'string' ? Math.ceil(value.length / MAX_TEXT) : 1
  // the set the live head does not use; set 1 when no head is live
  const head = n * 2 + (~(old as number) & 1)
  try {
    if (n < 2) prefs.set(domain, key, value)
    else {
      for (let i = 0; i < n; i++) {
        prefs.set(
          domain,
          chunk(key, head, i),
          (value as string).slice(i * MAX_TEXT, (i + 1) * MAX_TEXT),
        )
      }
      prefs.set(domain, key, head)
    }
  } catch (cause) {
    dropChunks(prefs, domain, key, head)
    throw new SdkError('local.store_value_too_large', "couldn't write a preference", {
      ctx: { domain, key },
      cause,
    })
  }
  dropChunks(prefs, domain, key, old)
}

/** A record as `putRecord` wrote it; `undefined` for none (or a chunk lost). */
function getRecord(prefs: PreferenceApi, domain: string, key: string): unknown {
  const head = prefs.get(domain, key)
  if (typeof head !== 'number') return head
  let text = ''
  for (let i = 0; i < head >> 1; i++) {
    const part = prefs.get(domain, chunk(key, head, i))
    if (typeof part !== 'string') return undefined
    text += part
  }
  return text
}

/** The record keys of `domain`; deletes the chunks no head counts (a write cut short). */
function recordKeys(prefs: PreferenceApi, domain: string): string[] {
  return prefs.keys(domain).filter((key) => {
    const [, base, i] = /^(.*)[.:](\d+)$/.exec(key) ?? []
    if (base === undefined) return true
    const head = prefs.get(domain, base)
    if (!(+i! < (head as number) >> 1 && chunk(base, head as number, +i!) === key)) {
      prefs.delete(domain, key)
    }
    return false
  })
}

function write(prefs: PreferenceApi, domain: string, key: string, record: unknown): void {
  putRecord(prefs, domain, key, JSON.stringify(record))
}

/** The JSON a preference holds; `undefined` for none or unreadable. */
function parse(prefs: PreferenceApi, domain: string, key: string): unknown {
  const text = getRecord(prefs, domain, key)
  try {
    return typeof text === 'string' ? JSON.parse(text) : undefined
  } catch {
    return undefined
  }
}

function read(prefs: PreferenceApi, domain: string, key: string): unknown[] | undefined {
  const value = parse(prefs, domain, key)
  return Array.isArray(value) ? value : undefined
}

const bytes = (b64: unknown): Uint8Array => base64Decode(String(b64)) ?? new Uint8Array(0)

class PreferenceProperties implements PropertyStore {
  readonly #prefs: PreferenceApi
  readonly #domain: string
  /** `interfaceName + '\0' + path` → [key, property]. */
  readonly #entries = new Map<string, [string, StoredProperty]>()
  #next = 0

  constructor(prefs: PreferenceApi, domain: string) {
    this.#prefs = prefs
    this.#domain = domain
    for (const key of recordKeys(prefs, domain)) {
      const r = read(prefs, domain, key)
      const n = Number(key.slice(1))
      if (n >= this.#next) this.#next = n + 1
      if (r === undefined) {
        dropRecord(prefs, domain, key)
        continue
      }
      const [interfaceName, major, path, ownership, payload] = r as [
        string,
        number,
        string,
        Ownership,
        string,
      ]
      const property = { interfaceName, major, path, ownership, payload: bytes(payload) }
      this.#entries.set(`${interfaceName}\0${path}`, [key, property])
    }
  }

  get(interfaceName: string, path: string): StoredProperty | undefined {
    return this.#entries.get(`${interfaceName}\0${path}`)?.[1]
  }

  set(p: StoredProperty): void {
    const id = `${p.interfaceName}\0${p.path}`
    const key = this.#entries.get(id)?.[0] ?? `p${this.#next++}`
    write(this.#prefs, this.#domain, key, [
      p.interfaceName,
      p.major,
      p.path,
      p.ownership,
      base64Encode(p.payload),
    ])
    this.#entries.set(id, [key, p])
  }

  delete(interfaceName: string, path: string): void {
    const id = `${interfaceName}\0${path}`
    const entry = this.#entries.get(id)
    if (entry === undefined) return
    dropRecord(this.#prefs, this.#domain, entry[0])
    this.#entries.delete(id)
  }

  list(ownership?: Ownership): StoredProperty[] {
    const all = [...this.#entries.values()].map((e) => e[1])
    return ownership === undefined ? all : all.filter((p) => p.ownership === ownership)
  }
}

/**
 * A retention queue, oldest first, bounded: on `enqueue` past a bound the oldest messages go.
 * Given `prefs`, each message is also a value in `domain` (none for `volatile`), read back here.
 */
class BoundedQueue implements RetentionQueue {
  readonly #messages: QueuedMessage[] = []
  #bytes = 0
  #nextId = 1
  readonly #maxBytes: number
  readonly #maxCount: number
  readonly #prefs: PreferenceApi | undefined
  readonly #domain: string

  constructor(maxBytes: number, maxCount: number, prefs?: PreferenceApi, domain = '') {
    this.#maxBytes = maxBytes
    this.#maxCount = maxCount
    this.#prefs = prefs
    this.#domain = domain
    if (prefs === undefined) return
    const found: QueuedMessage[] = []
    for (const key of recordKeys(prefs, domain)) {
      if (key === NEXT_ID) {
        this.#nextId = Math.max(this.#nextId, Number(prefs.get(domain, key)) || 1)
        continue
      }
      const r = read(prefs, domain, key)
      if (r === undefined) {
        dropRecord(prefs, domain, key)
        continue
      }
      const [topic, qos, createdMs, expiresMs, payload] = r as [
        string,
        0 | 1 | 2,
        number,
        number | null,
        string,
      ]
      found.push({
        id: Number(key.slice(1)),
        topic,
        qos,
        createdMs,
        expiresMs,
        payload: bytes(payload),
      })
    }
    for (const m of found.sort((a, b) => a.id - b.id)) this.#keep(m)
  }

  #keep(message: QueuedMessage): void {
    this.#messages.push(message)
    this.#bytes += message.payload.length + message.topic.length
    if (message.id >= this.#nextId) this.#nextId = message.id + 1
  }

  enqueue(message: NewQueuedMessage): QueuedMessage {
    // the caller may reuse its buffer: the queue keeps its own copy
    const queued = { ...message, payload: message.payload.slice(), id: this.#nextId }
    const size = message.payload.length + message.topic.length
    // refused before anything changes: a message the ring can't hold (sdk-core's refusal)
    if (size > this.#maxBytes) {
      throw new SdkError('local.store_full', "couldn't queue a message larger than the ring")
    }
    while (
      this.#messages.length > 0 &&
      (this.#messages.length >= this.#maxCount || this.#bytes + size > this.#maxBytes)
    ) {
      this.remove((this.#messages[0] as QueuedMessage).id)
    }
    if (this.#prefs !== undefined) {
      write(this.#prefs, this.#domain, `q${queued.id}`, [
        queued.topic,
        queued.qos,
        queued.createdMs,
        queued.expiresMs,
        base64Encode(queued.payload),
      ])
    }
    this.#keep(queued)
    return queued
  }

  peek(limit: number, nowMs: number): QueuedMessage[] {
    for (const m of this.#messages.filter((m) => m.expiresMs !== null && m.expiresMs <= nowMs)) {
      this.remove(m.id)
    }
    return this.#messages.slice(0, limit)
  }

  remove(id: number): void {
    const i = this.#messages.findIndex((m) => m.id === id)
    if (i < 0) return
    const [m] = this.#messages.splice(i, 1) as [QueuedMessage]
    this.#bytes -= m.payload.length + m.topic.length
    if (this.#prefs === undefined) return
    dropRecord(this.#prefs, this.#domain, `q${id}`)
    // ids never go back: when the newest goes, its successor is written down (rarely: acks
    // remove the oldest, so this is mostly the queue draining)
    if (id === this.#nextId - 1) this.#prefs.set(this.#domain, NEXT_ID, this.#nextId)
  }

  count(): number {
    return this.#messages.length
  }
}

class PreferenceMeta implements KeyValueStore {
  readonly #prefs: PreferenceApi
  readonly #domain: string
  readonly #values: Record<string, string>

  constructor(prefs: PreferenceApi, domain: string) {
    this.#prefs = prefs
    this.#domain = domain
    recordKeys(prefs, domain)
    const values = parse(prefs, domain, 'm')
    this.#values =
      typeof values === 'object' && values !== null ? (values as Record<string, string>) : {}
  }

  get(key: string): string | undefined {
    return this.#values[key]
  }

  set(key: string, value: string): void {
    this.#values[key] = value
    write(this.#prefs, this.#domain, 'm', this.#values)
  }

  delete(key: string): void {
    if (!(key in this.#values)) return
    delete this.#values[key]
    write(this.#prefs, this.#domain, 'm', this.#values)
  }
}

/** Opens the device's store in `prefs` (Moddable's `Preference`; domains `astp`, `astq`, `astm`). */
export function openPreferenceStore(prefs: PreferenceApi, limits: StoreLimits = {}): Store {
  return {
    properties: new PreferenceProperties(prefs, 'astp'),
    storedQueue: new BoundedQueue(
      limits.storedBytes ?? 16384,
      limits.storedCount ?? 64,
      prefs,
      'astq',
    ),
    volatileQueue: new BoundedQueue(Infinity, limits.volatileCount ?? 64),
    meta: new PreferenceMeta(prefs, 'astm'),
  }
}

/**
 * sdk-core's `MqttSessionStore` on `Preference`: each record an ArrayBuffer under its number
 * (`astms`/`0` the incoming QoS 2 ids, `astms`/`<n>` a publish in flight, as its PUBLISH), one
 * over 4000 bytes as base64 text in chunks. A QoS 1 publish costs one value written before it is
 * sent and one delete at its ack; QoS 2 one more write at PUBREC; an incoming QoS 2 message two
 * small writes. A record NVS can't take (a full partition) is not written and `onDropped` is
 * told: the record's previous version, if any, stays until it is deleted; a publish with none is
 * re-published as a new message after a reboot, as without a session store.
 */
export function openPreferenceSessionStore(
  prefs: PreferenceApi,
  onDropped: (key: number, bytes: number) => void = () => undefined,
  domain = 'astms',
): MqttSessionStore {
  const keys = new Set(recordKeys(prefs, domain))
  // a delete of a missing key would cost a flash lookup (or throw) for nothing
  const remove = (key: number): void => {
    if (keys.delete(`${key}`)) dropRecord(prefs, domain, `${key}`)
  }
  return {
    load: () =>
      [...keys].map((k) => {
        const v = getRecord(prefs, domain, k)
        return [Number(k), v instanceof ArrayBuffer ? new Uint8Array(v) : bytes(v)] as const
      }),
    put(key, record) {
      try {
        // an empty record is no record
        if (record.length === 0) return remove(key)
        // a blob over NVS's limit goes as base64 text, which `putRecord` splits
        putRecord(
          prefs,
          domain,
          `${key}`,
          record.length > MAX_VALUE ? base64Encode(record) : record.slice().buffer,
        )
        keys.add(`${key}`)
      } catch {
        onDropped(key, record.length)
      }
    },
    delete: remove,
  }
}
