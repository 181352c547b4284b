/**
 * @module realm management routes: install, list and get interfaces (spec §5), below
 * `/v1/<realm>/`, each call authorized by the `a_rma` claim.
 */
import { authorizeRealmRequest } from '../auth/authorize.js'
import type { SandboxContext } from '../context.js'
import { data, detail, notFound, readEnvelope } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import { installInterface } from './install.js'

export async function realmManagementRoute(
  ctx: SandboxContext,
  req: HttpRequest,
  rest: readonly string[],
): Promise<Reply> {
  const auth = authorizeRealmRequest(
    req.headers.authorization,
    ctx.realmKey.publicKey,
    'a_rma',
    req.method,
    rest.join('/'),
    req.path,
    Math.floor(Date.now() / 1000),
  )
  if (!auth.ok) return detail(auth.status, auth.detail)
  const [a, name, major, extra] = rest
  if (a !== 'interfaces' || extra !== undefined) return notFound
  if (name === undefined) {
    if (req.method === 'GET') return data(200, ctx.interfaces.names())
    if (req.method === 'POST') return install(ctx, req)
    return notFound
  }
  if (req.method !== 'GET') return notFound
  const majors = ctx.interfaces.majors(name)
  if (majors.length === 0) return detail(404, 'Interface not found')
  if (major === undefined) return data(200, majors)
  const json = /^\d+$/.test(major) ? ctx.interfaces.getJson(name, Number(major)) : undefined
  return json === undefined ? detail(404, 'Interface not found') : data(200, json)
}

const NAME_COLLISION =
  'Interface name collision detected. Make sure that the difference between two interface ' +
  'names is not limited to the casing or the presence of hyphens.'

async function install(ctx: SandboxContext, req: HttpRequest): Promise<Reply> {
  const body = await readEnvelope(req)
  if (!body.ok) return body.reply
  const outcome = installInterface(ctx, body.value)
  if (outcome.ok) {
    const { name, major } = outcome.iface
    ctx.logger.log('info', 'interface installed', { name, major })
    return { status: 201, headers: { location: `${req.path}/${name}/${major}` } }
  }
  switch (outcome.reason) {
    case 'invalid': {
      const errors: Record<string, string[]> = {}
      for (const issue of outcome.issues) {
        const field = issue.path === '' ? 'interface' : issue.path.slice(1)
        ;(errors[field] ??= []).push(issue.message)
      }
      return { status: 422, body: { errors } }
    }
    case 'already_installed_interface':
      return detail(409, 'Interface already exists')
    case 'interface_name_collision':
      return detail(409, NAME_COLLISION)
  }
}
