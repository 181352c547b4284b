/**
 * @module appengine read values: `GET devices/<id>/interfaces/<iface>[/<path>]` (spec §5).
 * Properties: nested map at the root (or below a partial path), the bare value at a full path.
 * Datastreams: the history of a full path (`since`, `since_after`, `to`, `limit`), the latest
 * value of every path at the root. Object datastreams: the history of a prefix.
 */
import { parseIsoDate, type Interface } from '@astarte-ts/sdk-core'
import type { SandboxContext } from '../context.js'
import { data, detail } from '../http/reply.js'
import type { HttpRequest, Reply } from '../http/types.js'
import type { DatastreamSample, HistoryQuery, ValueKey } from '../store/values.js'
import { nestByPath } from './nest.js'

export function readValues(
  ctx: SandboxContext,
  req: HttpRequest,
  iface: Interface,
  key: ValueKey,
  path: string,
): Reply {
  if (iface.type === 'properties') return readProperties(ctx, key, path)
  const query = historyQuery(req.query)
  if (query === null) return detail(400, 'Bad Request')
  const objects = iface.aggregation === 'object'
  if (path !== '/' || objects) {
    const samples = ctx.values.history(key, path, query)
    if (samples.length > 0)
      return data(
        200,
        samples.map((s) => sampleJson(s, objects)),
      )
    if (!objects || path !== '/') return detail(404, 'Path not found')
  }
  const latest = ctx.values.latestPerPath(key).map((s): [string, unknown] => {
    if (objects) return [s.path, [sampleJson(s, true)]]
    const reception_timestamp = new Date(s.receptionMs).toISOString()
    return [s.path, { ...sampleJson(s, false), reception_timestamp }]
  })
  return data(200, nestByPath(latest))
}

function readProperties(ctx: SandboxContext, key: ValueKey, path: string): Reply {
  const root = path === '/'
  const below = ctx.values
    .properties(key)
    .filter((p) => root || p.path === path || p.path.startsWith(`${path}/`))
  const exact = below.find((p) => p.path === path)
  if (exact !== undefined) return data(200, exact.valueJson)
  if (below.length === 0) return root ? data(200, {}) : detail(404, 'Path not found')
  const offset = root ? 0 : path.length
  const relative = below.map((p): [string, unknown] => [p.path.slice(offset), p.valueJson])
  return data(200, nestByPath(relative))
}

function sampleJson(s: DatastreamSample, object: boolean): Record<string, unknown> {
  const timestamp = new Date(s.timestampMs).toISOString()
  return object
    ? { timestamp, ...(s.valueJson as Record<string, unknown>) }
    : { value: s.valueJson, timestamp }
}

const DATE_FILTERS = [
  ['since', 'sinceMs'],
  ['since_after', 'sinceAfterMs'],
  ['to', 'toMs'],
] as const

/** AppEngine's history filters; null when one is malformed. */
function historyQuery(q: URLSearchParams): HistoryQuery | null {
  const out: { sinceMs?: number; sinceAfterMs?: number; toMs?: number; limit?: number } = {}
  for (const [name, field] of DATE_FILTERS) {
    const text = q.get(name)
    if (text === null) continue
    const date = parseIsoDate(text)
    if (date === undefined) return null
    out[field] = date.getTime()
  }
  const limit = q.get('limit')
  if (limit !== null) {
    if (!/^\d+$/.test(limit) || Number(limit) === 0) return null
    out.limit = Number(limit)
  }
  return out
}
