/**
 * @module appengine routes: the AppEngine API subset (spec §5), below `/v1/<realm>/`, each call
 * authorized by the `a_aea` claim. Interface reads and writes use the major the device declared
 * in its introspection.
 */
import { authorizeRealmRequest } from '../auth/authorize.js'
import type { SandboxContext } from '../context.js'
import { canonicalDeviceId } from '../device-id.js'
import { data, detail, notFound } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import { getDeviceStatus, patchDeviceStatus } from './device-status.js'
import { readValues } from './read-values.js'
import { writeValues } from './write-values.js'

export async function appEngineRoute(
  ctx: SandboxContext,
  req: HttpRequest,
  rest: readonly string[],
): Promise<Reply> {
  const auth = authorizeRealmRequest(
    req.headers.authorization,
    ctx.realmKey.publicKey,
    'a_aea',
    req.method,
    rest.join('/'),
    req.path,
    Math.floor(Date.now() / 1000),
  )
  if (!auth.ok) return detail(auth.status, auth.detail)
  const [a, id, b, name, ...pathLevels] = rest
  if (a !== 'devices' || id === undefined) return notFound
  const deviceId = canonicalDeviceId(id)
  const device = deviceId === null ? undefined : ctx.devices.get(deviceId)
  if (deviceId === null || device === undefined) return detail(404, 'Device not found')
  if (b === undefined) {
    if (req.method === 'GET') return getDeviceStatus(ctx, device)
    if (req.method === 'PATCH') return patchDeviceStatus(ctx, req, device)
    return notFound
  }
  if (b !== 'interfaces') return notFound
  if (name === undefined) {
    return req.method === 'GET' ? data(200, Object.keys(device.introspection).sort()) : notFound
  }
  const major = device.introspection[name]?.major
  const iface = major === undefined ? undefined : ctx.interfaces.get(name, major)
  if (iface === undefined) return detail(404, 'Interface not found in device introspection')
  if (pathLevels.some((l) => l === '')) return detail(404, 'Mapping not found')
  const path = `/${pathLevels.join('/')}`
  const key = { deviceId, interfaceName: name, major: iface.major }
  return req.method === 'GET'
    ? readValues(ctx, req, iface, key, path)
    : writeValues(ctx, req, iface, key, path)
}
