/**
 * @module description and doc: optional free text with Core's length caps (spec §1.3-D). Lengths
 * count code points; Core counts graphemes (never more), so a text of combining characters near
 * the cap may be refused here and accepted by Core, never the reverse.
 */
import { issue } from './issue.js'
import type { JsonObject } from './json-object.js'

const limits = { description: 1000, doc: 100_000 } as const

/** Reads `description` and `doc` of an interface or a mapping. */
export function readTexts(json: JsonObject): { description?: string; doc?: string } {
  const texts: { description?: string; doc?: string } = {}
  for (const key of ['description', 'doc'] as const) {
    const text = json.string(key)
    if (text === undefined) continue
    const length = [...text].length
    if (length > limits[key]) {
      const message = `${key} has ${length} characters, max ${limits[key]}`
      json.report(issue(`${key}_too_long`, json.at(key), message))
    }
    texts[key] = text
  }
  return texts
}
