/** @module appengine device status: `GET|PATCH devices/<id>` in AppEngine's shape (spec §5). */
import type { SandboxContext } from '../context.js'
import { data, detail, readDataObject } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import type { DeviceRow } from '../store/devices.js'

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

export function deviceStatusJson(ctx: SandboxContext, d: DeviceRow): Record<string, unknown> {
  const introspection: Record<string, unknown> = {}
  for (const [name, v] of Object.entries(d.introspection)) {
    const exchanged = d.exchanged[name] ?? { msgs: 0, bytes: 0 }
    introspection[name] = {
      major: v.major,
      minor: v.minor,
      exchanged_msgs: exchanged.msgs,
      exchanged_bytes: exchanged.bytes,
    }
  }
  return {
    id: d.deviceId,
    connected: ctx.broker()?.isConnected(d.deviceId) ?? false,
    introspection,
    last_connection: iso(d.lastConnection),
    last_disconnection: iso(d.lastDisconnection),
    last_seen_ip: d.lastSeenIp,
    first_credentials_request: iso(d.firstCredentialsRequest),
    credentials_inhibited: d.credentialsInhibited,
    total_received_msgs: d.totalReceivedMsgs,
    total_received_bytes: d.totalReceivedBytes,
    aliases: {},
    attributes: {},
    groups: [],
    previous_interfaces: [],
  }
}

export function getDeviceStatus(ctx: SandboxContext, d: DeviceRow): Reply {
  return data(200, deviceStatusJson(ctx, d))
}

/** Only `credentials_inhibited` is writable here: it drives Pairing's `inhibited` status. */
export async function patchDeviceStatus(
  ctx: SandboxContext,
  req: HttpRequest,
  d: DeviceRow,
): Promise<Reply> {
  const body = await readDataObject(req)
  if (!body.ok) return body.reply
  const inhibited = body.value['credentials_inhibited']
  if (inhibited !== undefined && typeof inhibited !== 'boolean') {
    return { status: 422, body: { errors: { credentials_inhibited: ['is invalid'] } } }
  }
  if (typeof inhibited === 'boolean') ctx.devices.setInhibited(d.deviceId, inhibited)
  const updated = ctx.devices.get(d.deviceId)
  return updated === undefined ? detail(404, 'Device not found') : getDeviceStatus(ctx, updated)
}
