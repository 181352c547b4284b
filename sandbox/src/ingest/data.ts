/**
 * @module ingest data: a device's value on `P/<interface><path>`, checked as DUP checks it
 * (spec §2.2, §3.8, §3.10): the interface must be introspected, installed with that major and
 * device-owned; the payload must decode against the mapping. Accepted values are stored in
 * their AppEngine JSON form; the timestamp is the device's `t` only with `explicit_timestamp`.
 */
import { decodePayload, valueToJson } from '@astarte-ts/sdk-core'
import type { SandboxContext } from '../context.js'
import { objectToJson } from '../object-json.js'
import type { DeviceRow } from '../store/devices.js'
import { accepted, disconnect, type DupError, type IngestOutcome } from './outcome.js'

const DUP_ERRORS: ReadonlySet<string> = new Set<DupError>([
  'invalid_interface',
  'invalid_path',
  'mapping_not_found',
  'ambiguous_path',
  'undecodable_bson_payload',
  'unexpected_value_type',
  'unexpected_object_key',
  'value_size_exceeded',
  'missing_required_mapping',
  'unset_not_allowed',
])

export function ingestData(
  ctx: SandboxContext,
  device: DeviceRow,
  interfaceName: string,
  path: string,
  payload: Uint8Array,
  nowMs: number,
): IngestOutcome {
  const major = device.introspection[interfaceName]?.major
  const iface = major === undefined ? undefined : ctx.interfaces.get(interfaceName, major)
  if (iface === undefined) return disconnect('interface_loading_failed')
  if (iface.ownership === 'server') return disconnect('write_on_server_owned_interface')
  const decoded = decodePayload(iface, path, payload, 'device-to-server')
  if (!decoded.ok) {
    const code = decoded.error[0]?.code ?? 'unexpected_value_type'
    if (code === 'unset_on_datastream') return { type: 'dropped', error: 'unset_on_datastream' }
    return disconnect(DUP_ERRORS.has(code) ? (code as DupError) : 'unexpected_value_type')
  }
  const key = { deviceId: device.deviceId, interfaceName, major: iface.major }
  const data = decoded.value
  switch (data.kind) {
    case 'unset':
      ctx.values.unsetProperty(key, data.path)
      return accepted
    case 'individual': {
      const valueJson = valueToJson(data.mapping.type, data.value)
      if (iface.type === 'properties') ctx.values.setProperty(key, data.path, valueJson, nowMs)
      else ctx.values.appendSample(key, sample(data.path, valueJson, data.timestamp, nowMs))
      return accepted
    }
    case 'object':
      const valueJson = objectToJson(iface, data.value)
      ctx.values.appendSample(key, sample(data.path, valueJson, data.timestamp, nowMs))
      return accepted
  }
}

function sample(path: string, valueJson: unknown, timestamp: Date | undefined, nowMs: number) {
  return { path, valueJson, timestampMs: timestamp?.getTime() ?? nowMs, receptionMs: nowMs }
}
