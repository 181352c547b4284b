/**
 * @module ingest control: introspection (spec §3.3), emptyCache (§3.4), producer purge (§3.6)
 * and capabilities (§3.7), each handled as DUP does; malformed input → forced disconnect.
 */
import {
  decodeBson,
  decodePurgeProperties,
  encodePayload,
  encodePurgeProperties,
  parseIntrospection,
  resolveIndividualPath,
  validateIndividual,
  valueFromJson,
  type BsonValue,
  type Interface,
  type TopicPrefix,
} from '@astarte-ts/sdk-core'
import type { SandboxContext } from '../context.js'
import type { DeviceRow, IntrospectionMap } from '../store/devices.js'
import { nodeInflater } from '../zlib.js'
import { accepted, disconnect, type IngestOutcome, type Reply } from './outcome.js'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

export function ingestIntrospection(
  ctx: SandboxContext,
  deviceId: string,
  payload: Uint8Array,
): IngestOutcome {
  let text: string
  try {
    text = strictUtf8.decode(payload)
  } catch {
    return disconnect('invalid_introspection')
  }
  const parsed = parseIntrospection(text)
  if (!parsed.ok) return disconnect('invalid_introspection')
  const introspection: IntrospectionMap = Object.fromEntries(
    parsed.value.map((e) => [e.name, { major: e.major, minor: e.minor }]),
  )
  ctx.devices.setIntrospection(deviceId, introspection)
  ctx.logger.log('info', 'introspection received', { deviceId, interfaces: parsed.value.length })
  return accepted
}

/** Answers emptyCache: the consumer purge list, then every set server-owned property (QoS 2). */
export function ingestEmptyCache(
  ctx: SandboxContext,
  device: DeviceRow,
  prefix: TopicPrefix,
): IngestOutcome {
  const listed: string[] = []
  const values: Reply[] = []
  for (const iface of introspected(ctx, device, 'server')) {
    const key = { deviceId: device.deviceId, interfaceName: iface.name, major: iface.major }
    for (const property of ctx.values.properties(key)) {
      const payload = propertyPayload(iface, property.path, property.valueJson)
      if (payload === null) continue
      listed.push(`${iface.name}${property.path}`)
      values.push({ topic: `${prefix}/${iface.name}${property.path}`, payload })
    }
  }
  const purge = encodePurgeProperties(listed, nodeInflater, device.purgeFormat)
  const purgeReply = { topic: `${prefix}/control/consumer/properties`, payload: purge }
  return { type: 'accepted', replies: [purgeReply, ...values] }
}

/** Deletes stored device-owned properties of introspected interfaces that the list omits. */
export function ingestProducerPurge(
  ctx: SandboxContext,
  device: DeviceRow,
  payload: Uint8Array,
): IngestOutcome {
  const decoded = decodePurgeProperties(payload, nodeInflater, device.purgeFormat)
  if (!decoded.ok) return disconnect('purge_properties_error')
  const kept = new Set(decoded.value.map((e) => `${e.interfaceName}${e.path}`))
  for (const iface of introspected(ctx, device, 'device')) {
    const key = { deviceId: device.deviceId, interfaceName: iface.name, major: iface.major }
    for (const property of ctx.values.properties(key)) {
      if (!kept.has(`${iface.name}${property.path}`)) ctx.values.unsetProperty(key, property.path)
    }
  }
  return accepted
}

export function ingestCapabilities(
  ctx: SandboxContext,
  deviceId: string,
  payload: Uint8Array,
): IngestOutcome {
  let format: BsonValue | undefined
  try {
    format = decodeBson(payload).get('purge_properties_compression_format')
  } catch {
    return disconnect('malformed_capabilities_message')
  }
  if (format === undefined) return accepted
  const text = format.type === 'string' ? format.value : null
  if (text !== 'zlib' && text !== 'plaintext') return disconnect('malformed_capabilities_message')
  ctx.devices.setPurgeFormat(deviceId, text)
  return accepted
}

/** Installed properties interfaces of the device's introspection with the given ownership. */
function introspected(
  ctx: SandboxContext,
  device: DeviceRow,
  ownership: 'device' | 'server',
): Interface[] {
  return Object.entries(device.introspection)
    .map(([name, v]) => ctx.interfaces.get(name, v.major))
    .filter(
      (i): i is Interface =>
        i !== undefined && i.type === 'properties' && i.ownership === ownership,
    )
}

/** The BSON payload of a stored property value, or null if it no longer fits its interface. */
export function propertyPayload(
  iface: Interface,
  path: string,
  valueJson: unknown,
): Uint8Array | null {
  const mapping = resolveIndividualPath(iface, path)
  if (!mapping.ok) return null
  const value = valueFromJson(mapping.value.type, valueJson)
  if (!value.ok) return null
  const validated = validateIndividual(iface, path, value.value)
  return validated.ok ? encodePayload(validated.value) : null
}
