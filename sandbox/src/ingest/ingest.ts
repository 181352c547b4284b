/**
 * @module ingest: one device publish, routed as DUP routes it (spec §3.2): introspection on `P`,
 * control messages, capabilities, and data. Never throws; every failure is an outcome.
 */
import { deviceTopicPrefix, parseDeviceTopic } from '@astarte-ts/sdk-core'
import type { SandboxContext } from '../context.js'
import {
  ingestCapabilities,
  ingestEmptyCache,
  ingestIntrospection,
  ingestProducerPurge,
} from './control.js'
import { ingestData } from './data.js'
import { accepted, disconnect, type IngestOutcome } from './outcome.js'

export function ingestPublish(
  ctx: SandboxContext,
  deviceId: string,
  topic: string,
  payload: Uint8Array,
  nowMs: number,
): IngestOutcome {
  const device = ctx.devices.get(deviceId)
  const prefix = deviceTopicPrefix(ctx.realm, deviceId)
  if (device === undefined || !prefix.ok) return accepted
  const route = parseDeviceTopic(prefix.value, topic)
  const interfaceName = route.type === 'data' ? route.interfaceName : null
  ctx.devices.countReceived(deviceId, payload.length, interfaceName)
  switch (route.type) {
    case 'introspection':
      return ingestIntrospection(ctx, deviceId, payload)
    case 'emptyCache':
      return ingestEmptyCache(ctx, device, prefix.value)
    case 'producerProperties':
      return ingestProducerPurge(ctx, device, payload)
    case 'capabilities':
      return ingestCapabilities(ctx, deviceId, payload)
    case 'control':
      return disconnect('unexpected_control_message')
    case 'data':
      // mqtt-packet decodes topics leniently: bytes that aren't UTF-8 surface as U+FFFD.
      if (route.interfaceName.includes('\uFFFD')) return disconnect('invalid_interface')
      return ingestData(ctx, device, route.interfaceName, route.path, payload, nowMs)
    case 'malformed':
      // `P/<iface>` without a path: DUP resolves it as the root path, which no mapping has.
      return disconnect('mapping_not_found')
  }
}
