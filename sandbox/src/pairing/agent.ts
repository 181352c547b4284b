/**
 * @module pairing agent: device registration and unregistration (spec §4.3.1, §4.3.2).
 * Authorization (`a_pa`) is checked by the router before these run.
 */
import type { SandboxContext } from '../context.js'
import { canonicalDeviceId } from '../device-id.js'
import { data, detail, invalid, noContent, readDataObject } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import type { IntrospectionMap } from '../store/devices.js'
import { hashSecret, newCredentialsSecret } from './secret.js'

/** `POST /v1/<realm>/agent/devices` */
export async function registerDevice(ctx: SandboxContext, req: HttpRequest): Promise<Reply> {
  const body = await readDataObject(req)
  if (!body.ok) return body.reply
  const hwId = body.value['hw_id']
  if (hwId === undefined || hwId === null || hwId === '') return invalid('hw_id', "can't be blank")
  if (typeof hwId !== 'string') return invalid('hw_id', 'is invalid')
  const deviceId = canonicalDeviceId(hwId)
  if (deviceId === null) return invalid('hw_id', 'is not a valid base64 encoded 128 bits id')
  const introspection = parseInitialIntrospection(body.value['initial_introspection'])
  if (!introspection.ok) return invalid('initial_introspection', introspection.message)

  const existing = ctx.devices.get(deviceId)
  if (existing?.registered === true && existing.firstCredentialsRequest !== null) {
    return detail(422, 'Device already registered')
  }
  const secret = newCredentialsSecret()
  ctx.devices.register(deviceId, hashSecret(secret), introspection.value)
  ctx.logger.log('info', 'device registered', { deviceId })
  return data(201, { credentials_secret: secret })
}

/** `DELETE /v1/<realm>/agent/devices/<device_id>` */
export function unregisterDevice(ctx: SandboxContext, hwId: string): Reply {
  const deviceId = canonicalDeviceId(hwId)
  const device = deviceId === null ? undefined : ctx.devices.get(deviceId)
  if (deviceId === null || device === undefined || !device.registered) {
    return detail(404, 'Device not found')
  }
  ctx.devices.unregister(deviceId)
  ctx.logger.log('info', 'device unregistered', { deviceId })
  return noContent
}

type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string }

function parseInitialIntrospection(value: unknown): Parsed<IntrospectionMap> {
  if (value === undefined || value === null) return { ok: true, value: {} }
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'is invalid' }
  const out: Record<string, { major: number; minor: number }> = {}
  for (const [name, entry] of Object.entries(value)) {
    const major = (entry as { major?: unknown } | null)?.major
    const minor = (entry as { minor?: unknown } | null)?.minor
    if (typeof entry !== 'object' || !Number.isInteger(major) || !Number.isInteger(minor)) {
      return { ok: false, message: `has invalid format for interface ${name}` }
    }
    if ((major as number) < 0 || (minor as number) < 0) {
      return { ok: false, message: `has negative versions in interface ${name}` }
    }
    out[name] = { major: major as number, minor: minor as number }
  }
  return { ok: true, value: out }
}
