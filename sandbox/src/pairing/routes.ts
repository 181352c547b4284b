/** @module pairing routes: the Pairing API v1 route table (spec §4.2), below `/v1/<realm>/`. */
import { authorizeRealmRequest } from '../auth/authorize.js'
import { ASTARTE_VERSION, type SandboxContext } from '../context.js'
import { data, notFound } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import { registerDevice, unregisterDevice } from './agent.js'
import { deviceInfo, requestCredentials, verifyCredentials } from './device.js'

/** Dispatches a Pairing request; `rest` is the path split after `/v1/<realm>/`. */
export async function pairingRoute(
  ctx: SandboxContext,
  req: HttpRequest,
  rest: readonly string[],
): Promise<Reply> {
  const [a, b, c, d, e, f, g] = rest
  const m = req.method
  if (a === 'version' && b === undefined && m === 'GET') return data(200, ASTARTE_VERSION)
  if (a === 'agent' && b === 'devices') {
    const agentRoute =
      (m === 'POST' && c === undefined) || (m === 'DELETE' && c !== undefined && d === undefined)
    if (!agentRoute) return notFound
    const auth = authorizeRealmRequest(
      req.headers.authorization,
      ctx.realmKey.publicKey,
      'a_pa',
      m,
      rest.join('/'),
      req.path,
      Math.floor(Date.now() / 1000),
    )
    if (!auth.ok) return { status: auth.status, body: { errors: { detail: auth.detail } } }
    return c === undefined ? registerDevice(ctx, req) : unregisterDevice(ctx, c)
  }
  if (a === 'devices' && b !== undefined) {
    if (c === undefined && m === 'GET') return deviceInfo(ctx, req, b)
    if (c === 'protocols' && d === 'astarte_mqtt_v1' && e === 'credentials' && m === 'POST') {
      if (f === undefined) return requestCredentials(ctx, req, b)
      if (f === 'verify' && g === undefined) return verifyCredentials(ctx, req, b)
    }
  }
  return notFound
}
