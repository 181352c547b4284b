/**
 * @module routes: one HTTP port, Astarte's service layout: `/pairing`, `/appengine` and
 * `/realmmanagement`, each followed by `/v1/<realm>/…`. A realm other than the sandbox's is
 * refused with 403 on every route (spec §4.1).
 */
import { appEngineRoute } from './appengine/routes.js'
import { ASTARTE_VERSION, type SandboxContext } from './context.js'
import { data, forbidden, notFound } from './http/reply.js'
import type { Handler } from './http/types.js'
import { pairingRoute } from './pairing/routes.js'
import { realmManagementRoute } from './realm-management/routes.js'

/** The request handler of a sandbox; `pairingOnly` serves Pairing alone (no broker). */
export function createRouter(ctx: SandboxContext, pairingOnly: boolean): Handler {
  return async (req) => {
    const [service, version, realm, ...rest] = req.path.split('/').slice(1)
    const known =
      service === 'pairing' ||
      (!pairingOnly && (service === 'appengine' || service === 'realmmanagement'))
    if (!known) return notFound
    if (version === 'version' && realm === undefined && req.method === 'GET') {
      return data(200, ASTARTE_VERSION)
    }
    if (version !== 'v1' || realm === undefined) return notFound
    if (realm !== ctx.realm) return forbidden
    switch (service) {
      case 'pairing':
        return pairingRoute(ctx, req, rest)
      case 'appengine':
        return appEngineRoute(ctx, req, rest)
      default:
        return realmManagementRoute(ctx, req, rest)
    }
  }
}
