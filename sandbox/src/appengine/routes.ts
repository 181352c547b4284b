/** @module appengine routes: the AppEngine API subset (spec §5), below `/v1/<realm>/`. */
import type { SandboxContext } from '../context.js'
import { notFound } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'

export async function appEngineRoute(
  _ctx: SandboxContext,
  _req: HttpRequest,
  _rest: readonly string[],
): Promise<Reply> {
  return notFound
}
