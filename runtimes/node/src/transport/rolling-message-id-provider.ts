/**
 * @module rolling message id provider: MQTT packet ids for MQTT.js that are never handed out
 * while in flight ([MQTT-2.3.1-2]) and that keep rolling forward across connections. A resumed
 * broker session (clean=false) may still hold state for ids of the previous connection (a QoS 2
 * PUBLISH awaiting PUBREL); those ids stay reserved until the broker completes them, and the
 * least recently used free id is always the next one.
 */
import type { IClientOptions } from 'mqtt'

type MessageIdProvider = NonNullable<IClientOptions['messageIdProvider']>

const MAX_ID = 0xffff
const FREE = 0
const IN_USE = 1
const RESERVED = 2

/** Allocation state one transport carries from connection to connection. */
export interface IdCursor {
  last: number
}

export class RollingMessageIdProvider implements MessageIdProvider {
  readonly #state = new Uint8Array(MAX_ID + 1)
  // ids not free (in use or reserved), and of them those in use: with none in use, `clear` and
  // `inFlight` skip their scan of every id, a loop hot enough at each connect and close for V8 to
  // optimize it (its optimizing compiler then runs, and its code pages count in the RSS, before
  // the device has sent anything)
  #count = 0
  #inUse = 0
  readonly #cursor: IdCursor

  constructor(cursor: IdCursor = { last: 0 }) {
    this.#cursor = cursor
  }

  /** The next free id after the last one allocated, or `null` when none is free. */
  allocate(): number | null {
    if (this.#count === MAX_ID) return null
    let id = this.#cursor.last
    do id = id === MAX_ID ? 1 : id + 1
    while (this.#state[id] !== FREE)
    this.#state[id] = IN_USE
    this.#count++
    this.#inUse++
    this.#cursor.last = id
    return id
  }

  getLastAllocated(): number | null {
    return this.#cursor.last === 0 ? null : this.#cursor.last
  }

  register(id: number): boolean {
    if (this.#state[id] !== FREE) return false
    this.#state[id] = IN_USE
    this.#count++
    this.#inUse++
    return true
  }

  deallocate(id: number): void {
    if (this.#state[id] !== IN_USE) return
    this.#state[id] = FREE
    this.#count--
    this.#inUse--
  }

  /** Frees every id in use (MQTT.js calls it on CONNACK); reserved ids and the cursor stay. */
  clear(): void {
    for (let id = 1; this.#inUse > 0 && id <= MAX_ID; id++) {
      if (this.#state[id] === IN_USE) {
        this.#state[id] = FREE
        this.#count--
        this.#inUse--
      }
    }
  }

  /** Ids allocated and not yet freed: what was in flight when a connection dropped. */
  inFlight(): number[] {
    const ids: number[] = []
    for (let id = 1; ids.length < this.#inUse && id <= MAX_ID; id++) {
      if (this.#state[id] === IN_USE) ids.push(id)
    }
    return ids
  }

  /** Keeps `ids` out of allocation until {@link release}d (a PUBCOMP for them arrived). */
  reserve(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.#state[id] === FREE) this.#count++
      if (this.#state[id] === IN_USE) this.#inUse--
      this.#state[id] = RESERVED
    }
  }

  release(id: number): void {
    if (this.#state[id] !== RESERVED) return
    this.#state[id] = FREE
    this.#count--
  }
}
