/**
 * @module session incoming store: MQTT.js's store of incoming QoS 2 messages past PUBREC, kept
 * across the connections of one session. MQTT.js hands such a message to the application only at
 * PUBREL, and after a connection loss the broker rightly sends just the PUBREL on the resumed
 * session ([MQTT-4.3.3], [MQTT-4.4.0-1]); a store per connection would answer it with PUBCOMP and
 * lose the message. Emptied when the session ends (clean connect, or CONNACK without it).
 */
import { Store, type IStore } from 'mqtt'

export class SessionIncomingStore implements IStore {
  // `clean: false`: MQTT.js closes the store with each client; the session outlives them
  #inner = new Store({ clean: false })

  put(...args: Parameters<IStore['put']>): this {
    this.#inner.put(...args)
    return this
  }

  createStream(): ReturnType<IStore['createStream']> {
    return this.#inner.createStream()
  }

  del(...args: Parameters<IStore['del']>): this {
    this.#inner.del(...args)
    return this
  }

  get(...args: Parameters<IStore['get']>): this {
    this.#inner.get(...args)
    return this
  }

  close(cb: Parameters<IStore['close']>[0]): void {
    cb()
  }

  /** The session is gone: nothing it held will be released. */
  clear(): void {
    this.#inner = new Store({ clean: false })
  }
}
