/**
 * @module protocol sync plan: the full-sync sequence of a session that is not present
 * (spec §3.4), as data: subscribe first and wait for the suback, then publish introspection,
 * emptyCache, device-owned property values and the producer purge list, all QoS 2.
 */
import type { Interface } from '../interface/model.js'
import type { Inflater, PropertyStore, StoredProperty } from '../ports.js'
import { encodeIntrospection } from './introspection.js'
import { encodePurgeProperties } from './purge.js'
import type { PurgeFormat } from './purge.js'
import {
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
