/**
 * @module fake astarte: an in-memory broker session plus a DUP-like responder for one device,
 * written for tests from the spec (§3.2-§3.6): it keeps a persistent session (subscriptions
 * and QoS ≥ 1 messages queued while offline), records every device publish, answers emptyCache
 * with the consumer purge list and the server property values, applies the producer purge, and
 * forces a disconnect with session discard on an invalid introspection (§3.10).
 */
import {
  decodePurgeProperties,
  deviceTopicPrefix,
  encodePurgeProperties,
  parseDeviceTopic,
  parseIntrospection,
} from '@astarte-ts/sdk-core'
import type { Inflater, Interface, IntrospectionEntry, TopicPrefix } from '@astarte-ts/sdk-core'
import { topicMatches } from './topic-filter.js'

export interface WirePublish {
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: 0 | 1 | 2
}

/** What crossed the wire, device side, in order. */
export type TranscriptEntry =
  | { readonly type: 'connect'; readonly sessionPresent: boolean }
  | { readonly type: 'subscribe'; readonly filters: readonly string[] }
  | { readonly type: 'unsubscribe'; readonly filters: readonly string[] }
  | ({ readonly type: 'publish' } & WirePublish)
  | { readonly type: 'disconnect'; readonly reason: string }

export interface FakeAstarteOptions {
  readonly realm: string
  readonly deviceId: string
  readonly inflater: Inflater
  /** Interfaces installed in the realm: tells properties from datastreams. */
  readonly interfaces: readonly Interface[]
}

const utf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

export class FakeAstarte {
  readonly prefix: TopicPrefix
  readonly transcript: TranscriptEntry[] = []
  /** Device-owned property values as Astarte holds them, by `<interface><path>`. */
  readonly deviceProperties = new Map<string, Uint8Array>()
  /** Server-owned property values set through `setServerProperty`, by `<interface><path>`. */
  readonly serverProperties = new Map<string, Uint8Array>()
  introspection: IntrospectionEntry[] = []
  connected = false
  readonly #subscriptions = new Set<string>()
  readonly #offline: WirePublish[] = []
  readonly #installed: Map<string, Interface>
  readonly #inflater: Inflater
  #session = false
  #deliver: ((message: WirePublish) => void) | undefined
  #drop: ((reason: string) => void) | undefined

  constructor(options: FakeAstarteOptions) {
    const prefix = deviceTopicPrefix(options.realm, options.deviceId)
    if (!prefix.ok) throw new Error('bad realm or device id')
    this.prefix = prefix.value
    this.#inflater = options.inflater
    this.#installed = new Map(options.interfaces.map((i) => [i.name, i]))
  }

  /** Device publishes, in order. */
  get received(): WirePublish[] {
    return this.transcript.flatMap((e) =>
      e.type === 'publish' ? [{ topic: e.topic, payload: e.payload, qos: e.qos }] : [],
    )
  }

  get subscriptions(): ReadonlySet<string> {
    return this.#subscriptions
  }

  install(iface: Interface): void {
    this.#installed.set(iface.name, iface)
  }

  // ---- broker side, driven by the loopback

  /** CONNECT with clean=false; `deliver` gets messages, `drop` is a forced disconnect. */
  connect(
    deliver: (message: WirePublish) => void,
    drop: (reason: string) => void,
  ): { sessionPresent: boolean } {
    const sessionPresent = this.#session
    this.#session = true
    this.connected = true
    this.#deliver = deliver
    this.#drop = drop
    this.transcript.push({ type: 'connect', sessionPresent })
    return { sessionPresent }
  }

  /** Delivers what the session queued while the device was offline (after CONNACK). */
  flushOffline(): void {
    const deliver = this.#deliver
    if (deliver !== undefined) for (const message of this.#offline.splice(0)) deliver(message)
  }

  /** The connection ends; the session (subscriptions, queued messages) survives. */
  disconnect(reason: string): void {
    if (!this.connected) return
    this.connected = false
    this.#deliver = undefined
    this.#drop = undefined
    this.transcript.push({ type: 'disconnect', reason })
  }

  /** Forgets the persistent session, as Astarte does on protocol errors (spec §3.10). */
  discardSession(): void {
    this.#session = false
    this.#subscriptions.clear()
    this.#offline.length = 0
  }

  subscribe(filters: readonly string[]): void {
    this.transcript.push({ type: 'subscribe', filters })
    for (const f of filters) this.#subscriptions.add(f)
  }

  unsubscribe(filters: readonly string[]): void {
    this.transcript.push({ type: 'unsubscribe', filters })
    for (const f of filters) this.#subscriptions.delete(f)
  }

  /** A device PUBLISH, with DUP's reaction. */
  publishFromDevice(message: WirePublish): void {
    this.transcript.push({ type: 'publish', ...message })
    const route = parseDeviceTopic(this.prefix, message.topic)
    switch (route.type) {
      case 'introspection': {
        const parsed = parseIntrospection(utf8(message.payload))
        if (parsed.ok) this.introspection = parsed.value
        else this.forceDisconnect('invalid_introspection')
        return
      }
      case 'emptyCache':
        this.#answerEmptyCache()
        return
      case 'producerProperties':
        this.#applyProducerPurge(message.payload)
        return
      case 'data': {
        const iface = this.#installed.get(route.interfaceName)
        if (iface?.type === 'properties' && iface.ownership === 'device') {
          const key = `${route.interfaceName}${route.path}`
          if (message.payload.length === 0) this.deviceProperties.delete(key)
          else this.deviceProperties.set(key, message.payload)
        }
        return
      }
      case 'capabilities':
      case 'control':
      case 'malformed':
        this.forceDisconnect('unexpected_control_message')
        return
    }
  }

  /** Disconnects the device and discards its session, as DUP does on errors. */
  forceDisconnect(reason: string): void {
    const drop = this.#drop
    this.disconnect(reason)
    this.discardSession()
    drop?.(reason)
  }

  // ---- application side (AppEngine-like)

  /** Publishes to the device: delivered if subscribed and online, queued offline for QoS ≥ 1. */
  sendToDevice(interfaceName: string, path: string, payload: Uint8Array, qos: 0 | 1 | 2): void {
    this.#route({ topic: `${this.prefix}/${interfaceName}${path}`, payload, qos })
  }

  setServerProperty(interfaceName: string, path: string, payload: Uint8Array): void {
    this.serverProperties.set(`${interfaceName}${path}`, payload)
    this.sendToDevice(interfaceName, path, payload, 2)
  }

  unsetServerProperty(interfaceName: string, path: string): void {
    this.serverProperties.delete(`${interfaceName}${path}`)
    this.sendToDevice(interfaceName, path, new Uint8Array(0), 2)
  }

  #route(message: WirePublish): void {
    if (![...this.#subscriptions].some((f) => topicMatches(f, message.topic))) return
    if (this.connected && this.#deliver !== undefined) this.#deliver(message)
    else if (this.#session && message.qos > 0) this.#offline.push(message)
  }

  /** Whether the interface of a `<interface><path>` key is in the introspection. */
  #introspected(key: string): boolean {
    const name = key.slice(0, key.indexOf('/'))
    return this.introspection.some((e) => e.name === name)
  }

  // spec §3.4: purge list of server properties, then every set value, QoS 2
  #answerEmptyCache(): void {
    const entries = [...this.serverProperties.keys()].filter((k) => this.#introspected(k))
    this.#route({
      topic: `${this.prefix}/control/consumer/properties`,
      payload: encodePurgeProperties(entries, this.#inflater),
      qos: 2,
    })
    for (const key of entries) {
      const slash = key.indexOf('/')
      const payload = this.serverProperties.get(key) as Uint8Array
      this.sendToDevice(key.slice(0, slash), key.slice(slash), payload, 2)
    }
  }

  // spec §3.6: device properties of introspected interfaces absent from the list are unset
  #applyProducerPurge(payload: Uint8Array): void {
    const listed = decodePurgeProperties(payload, this.#inflater)
    if (!listed.ok) {
      this.forceDisconnect('purge_properties_error')
      return
    }
    const keep = new Set(listed.value.map((e) => `${e.interfaceName}${e.path}`))
    for (const key of [...this.deviceProperties.keys()]) {
      if (this.#introspected(key) && !keep.has(key)) this.deviceProperties.delete(key)
    }
  }
}
