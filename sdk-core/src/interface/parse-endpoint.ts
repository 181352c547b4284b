/** @module endpoint field: rule §1.3-E on a mapping's `endpoint`, one issue per broken clause. */
import {
  MAX_ENDPOINT_LENGTH,
  MAX_ENDPOINT_LEVELS,
  MIN_ENDPOINT_LENGTH,
  parseLevel,
  splitLevels,
} from './endpoint.js'
import { issue, quote } from './issue.js'
import type { JsonObject } from './json-object.js'
import type { EndpointLevel } from './model.js'

/** The levels of the endpoint in field `key`, or undefined when its syntax is broken. */
export function readEndpoint(
  json: JsonObject,
  key: string,
  endpoint: string,
): EndpointLevel[] | undefined {
  const at = json.at(key)
  if (endpoint.length < MIN_ENDPOINT_LENGTH || endpoint.length > MAX_ENDPOINT_LENGTH) {
    const message = `endpoint ${quote(endpoint)} has ${endpoint.length} characters, allowed 2..256`
    json.report(issue('endpoint_length', at, message))
  }
  const raws = splitLevels(endpoint)
  if (raws === undefined) {
    json.report(issue('endpoint_syntax', at, `endpoint ${quote(endpoint)} must start with '/'`))
    return undefined
  }
  if (raws.length > MAX_ENDPOINT_LEVELS) {
    const message = `endpoint ${quote(endpoint)} has ${raws.length} levels, max 64`
    json.report(issue('endpoint_levels', at, message))
  }
  const levels: EndpointLevel[] = []
  for (const raw of raws) {
    const level = parseLevel(raw)
    if (level === undefined) {
      const message =
        `endpoint level ${quote(raw)} of ${quote(endpoint)} ` +
        'is neither an identifier nor a whole %{parameter}'
      json.report(issue('endpoint_syntax', at, message))
      return undefined
    }
    levels.push(level)
  }
  return levels
}
