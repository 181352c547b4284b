/**
 * @module protocol sync plan: the full-sync sequence of a session that is not present
 * (spec §3.4), as data: subscribe first and wait for the suback, then publish introspection,
 * capabilities (only for a non-default purge format, spec §3.7), emptyCache, device-owned
 * property values and the producer purge list, all QoS 2.
 */
import { BsonType } from '../bson/model.js'
import { BsonWriter, keySize, stringSize } from '../bson/writer.js'
import type { Interface } from '../interface/model.js'
import type { Inflater, PropertyStore, StoredProperty } from '../ports.js'
import { encodeIntrospection, parseIntrospection } from './introspection.js'
import { encodePurgeProperties } from './purge.js'
import type { PurgeFormat } from './purge.js'
import {
  CAPABILITIES,
  CONSUMER_PROPERTIES,
  EMPTY_CACHE,
  PRODUCER_PROPERTIES,
  controlTopic,
  dataTopic,
} from './topics.js'
import type { TopicPrefix } from './topics.js'
import { utf8Encode } from '../bson/utf8.js'

/** `P/<iface>/#`: every topic of a server-owned interface. */
export function interfaceFilter(prefix: TopicPrefix, interfaceName: string): string {
  return `${prefix}/${interfaceName}/#`
}

/** spec §3.4 step 1: consumer properties plus every server-owned interface, nothing else. */
export function interfacesToSubscribe(
  prefix: TopicPrefix,
  interfaces: readonly Interface[],
): string[] {
  const servers = interfaces.filter((i) => i.ownership === 'server')
  const filters = servers.map((i) => interfaceFilter(prefix, i.name))
  return [controlTopic(prefix, CONSUMER_PROPERTIES), ...filters]
}

/**
 * Filters a present session may still hold for interfaces of `lastIntrospection` (the one
 * Astarte acknowledged) that are no longer server-owned subscriptions: removed, or another major
 * (spec §3.3: unsubscribe them; §3.4: subscribe to nothing else). The same name and major as now
 * means the same ownership, so a device-owned one is skipped; a removed device-owned one can't be
 * told from a server-owned one and is unsubscribed too, which a broker answers all the same.
 */
export function staleFilters(
  prefix: TopicPrefix,
  lastIntrospection: string | undefined,
  interfaces: readonly Interface[],
): string[] {
  const last = lastIntrospection === undefined ? undefined : parseIntrospection(lastIntrospection)
  if (last === undefined || !last.ok) return []
  const current = new Map(interfaces.map((i) => [i.name, i]))
  return last.value
    .filter((e) => {
      const now = current.get(e.name)
      return now === undefined || (now.ownership !== 'server' && now.major !== e.major)
    })
    .map((e) => interfaceFilter(prefix, e.name))
}

/** One step of the full sync; publishes are retain=false, QoS 2. */
export type SyncStep =
  | { readonly type: 'subscribe'; readonly filters: readonly string[]; readonly qos: 2 }
  | {
      readonly type: 'publish'
      readonly topic: string
      readonly payload: Uint8Array
      readonly qos: 2
    }

export interface SyncPlanInput {
  readonly prefix: TopicPrefix
  readonly interfaces: readonly Interface[]
  readonly properties: PropertyStore
  readonly inflater: Inflater
  readonly purgeFormat: PurgeFormat
}

/** The cached device-owned properties that belong to an introspected interface major. */
export function currentDeviceProperties(
  interfaces: readonly Interface[],
  properties: PropertyStore,
): StoredProperty[] {
  const devices = interfaces.filter((i) => i.ownership === 'device')
  const majors = new Map(devices.map((i) => [i.name, i.major]))
  return properties
    .list('device')
    .filter((p) => majors.get(p.interfaceName) === p.major)
    .sort((a, b) => {
      const ka = `${a.interfaceName}${a.path}`
      const kb = `${b.interfaceName}${b.path}`
      return ka < kb ? -1 : ka > kb ? 1 : 0
    })
}

const CAPABILITY_KEY = 'purge_properties_compression_format'

/**
 * spec §3.7: the `P/capabilities` document announcing `format`. Astarte persists it and writes
 * the consumer purge list in it, so it must precede emptyCache.
 */
export function encodeCapabilities(format: PurgeFormat): Uint8Array {
  // one string element, written directly: through `encodeBson` this document would be the only
  // reason a device carries the generic BSON encoder (1.5 KB minified)
  const w = new BsonWriter(5 + keySize(CAPABILITY_KEY) + stringSize(format))
  const start = w.openDocument()
  w.header(BsonType.string, CAPABILITY_KEY)
  w.string(format)
  w.closeDocument(start)
  return w.bytes
}

/**
 * The ordered full-sync steps. The first step is the subscription; the runtime must see its
 * suback before the publishes, or Astarte's answer to emptyCache would be lost.
 */
export function fullSyncPlan(input: SyncPlanInput): SyncStep[] {
  const { prefix, interfaces } = input
  const props = currentDeviceProperties(interfaces, input.properties)
  const publish = (topic: string, payload: Uint8Array): SyncStep => ({
    type: 'publish',
    topic,
    payload,
    qos: 2,
  })
  return [
    { type: 'subscribe', filters: interfacesToSubscribe(prefix, interfaces), qos: 2 },
    publish(prefix, utf8Encode(encodeIntrospection(interfaces))),
    // zlib is Astarte's default: announcing it would only fail on versions without the topic
    ...(input.purgeFormat === 'zlib'
      ? []
      : [publish(controlTopic(prefix, CAPABILITIES), encodeCapabilities(input.purgeFormat))]),
    publish(controlTopic(prefix, EMPTY_CACHE), utf8Encode('1')),
    ...props.map((p) => publish(dataTopic(prefix, p.interfaceName, p.path), p.payload)),
    publish(
      controlTopic(prefix, PRODUCER_PROPERTIES),
      encodePurgeProperties(
        props.map((p) => `${p.interfaceName}${p.path}`),
        input.inflater,
        input.purgeFormat,
      ),
    ),
  ]
}
