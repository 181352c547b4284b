/**
 * @module protocol topics: builds and routes MQTT v1 topics (spec §3.2); every topic the device
 * publishes or subscribes to starts with the validated prefix `<realm>/<device_id>`.
 */
import { err, ok } from '../errors.js'
import type { Result } from '../errors.js'
import { checkDeviceId, checkRealm } from '../pairing/target.js'

declare const topicPrefix: unique symbol

/** `<realm>/<device_id>`, checked by {@link deviceTopicPrefix}. */
export type TopicPrefix = string & { readonly [topicPrefix]: true }

export const CONSUMER_PROPERTIES = 'control/consumer/properties'
export const PRODUCER_PROPERTIES = 'control/producer/properties'
export const EMPTY_CACHE = 'control/emptyCache'
export const CAPABILITIES = 'capabilities'

/** The topic prefix of one device, after checking its realm and device id. */
export function deviceTopicPrefix(realm: string, deviceId: string): Result<TopicPrefix> {
  const issues = [...checkRealm(realm), ...checkDeviceId(deviceId)]
  return issues.length > 0 ? err(issues) : ok(`${realm}/${deviceId}` as TopicPrefix)
}

/** `P/<interface><path>`; `path` starts with `/` (spec §3.2). */
export function dataTopic(prefix: TopicPrefix, interfaceName: string, path: string): string {
  return `${prefix}/${interfaceName}${path}`
}

/** `P/control/…`, `P/capabilities`. */
export function controlTopic(prefix: TopicPrefix, sub: string): string {
  return `${prefix}/${sub}`
}

/** What a topic received by the device means. */
export type ServerTopic =
  | { readonly type: 'consumerProperties' }
  | { readonly type: 'data'; readonly interfaceName: string; readonly path: string }
  | { readonly type: 'malformed'; readonly reason: string }

/** What a topic published by a device means, routed the way DUP does (spec §3.2). */
export type DeviceTopic =
  | { readonly type: 'introspection' }
  | { readonly type: 'emptyCache' }
  | { readonly type: 'producerProperties' }
  | { readonly type: 'capabilities' }
  /** Any other `P/control/…` topic: DUP answers `unexpected_control_message` (spec §3.10). */
  | { readonly type: 'control'; readonly subtopic: string }
  | { readonly type: 'data'; readonly interfaceName: string; readonly path: string }
  | { readonly type: 'malformed'; readonly reason: string }

type Malformed = { readonly type: 'malformed'; readonly reason: string }
type Data = { readonly type: 'data'; readonly interfaceName: string; readonly path: string }

// spec §3.2: interface = text up to the first `/`, path = the rest including that `/`
function splitData(rest: string): Data | Malformed {
  const slash = rest.indexOf('/')
  if (slash <= 0) return { type: 'malformed', reason: 'topic has no interface or no path' }
  return { type: 'data', interfaceName: rest.slice(0, slash), path: rest.slice(slash) }
}

function stripPrefix(prefix: TopicPrefix, topic: string): string | undefined {
  return topic.startsWith(`${prefix}/`) ? topic.slice(prefix.length + 1) : undefined
}

/** Routes a topic the device received (spec §3.2). */
export function parseServerTopic(prefix: TopicPrefix, topic: string): ServerTopic {
  const rest = stripPrefix(prefix, topic)
  if (rest === undefined) return { type: 'malformed', reason: 'topic is outside the device prefix' }
  if (rest === CONSUMER_PROPERTIES) return { type: 'consumerProperties' }
  return splitData(rest)
}

/** Routes a topic a device published, for the server side (spec §3.2, DUP routing). */
export function parseDeviceTopic(prefix: TopicPrefix, topic: string): DeviceTopic {
  if (topic === prefix) return { type: 'introspection' }
  const rest = stripPrefix(prefix, topic)
  if (rest === undefined) return { type: 'malformed', reason: 'topic is outside the device prefix' }
  if (rest === EMPTY_CACHE) return { type: 'emptyCache' }
  if (rest === PRODUCER_PROPERTIES) return { type: 'producerProperties' }
  if (rest === CAPABILITIES) return { type: 'capabilities' }
  if (rest.startsWith('control/')) {
    return { type: 'control', subtopic: rest.slice('control/'.length) }
  }
  return splitData(rest)
}
