/**
 * @module authorize: realm API access from a Bearer JWT (spec §6): a verified token whose claim
 * for the API holds an entry `METHOD:OPTS:PATH` whose anchored regexes match the request.
 */
import type { KeyObject } from 'node:crypto'
import { verifyJwt } from './jwt.js'

/** The claim naming each realm API. */
export type RealmApi = 'a_pa' | 'a_aea' | 'a_rma'

export type Authorization =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly detail: string }

/**
 * Checks `authorization` (the raw header) for `method` on `path`, where `path` is the part after
 * `/v1/<realm>/` and `fullPath` the whole request path (for the 403 message).
 */
export function authorizeRealmRequest(
  authorization: string | undefined,
  publicKey: KeyObject,
  api: RealmApi,
  method: string,
  path: string,
  fullPath: string,
  nowSec: number,
): Authorization {
  const token = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1]
  if (token === undefined) return { ok: false, status: 401, detail: 'Missing authorization token' }
  const claims = verifyJwt(token, publicKey, nowSec)
  if (claims === null) return { ok: false, status: 401, detail: 'Invalid JWT token' }
  const entries = claims[api]
  const granted =
    Array.isArray(entries) && entries.some((e) => typeof e === 'string' && grants(e, method, path))
  return granted
    ? { ok: true }
    : {
        ok: false,
        status: 403,
        detail: `Unauthorized access to ${method} ${fullPath}. Please verify your permissions`,
      }
}

function grants(entry: string, method: string, path: string): boolean {
  // Split at the first two colons only: OPTS is empty and a path regex may itself contain `:`.
  const first = entry.indexOf(':')
  const second = first < 0 ? -1 : entry.indexOf(':', first + 1)
  if (second < 0) return false
  return (
    anchoredMatch(entry.slice(0, first), method) && anchoredMatch(entry.slice(second + 1), path)
  )
}

function anchoredMatch(source: string, text: string): boolean {
  try {
    return new RegExp(`^(?:${source})$`).test(text)
  } catch {
    return false
  }
}
