/**
 * @module endpoint templates: the level syntax of spec §1.3-E. A level is a literal identifier or
 * a whole-level `%{name}` parameter; leading `_` is allowed, as in Core (not the Rust SDK).
 */
import type { EndpointLevel } from './model.js'

const LITERAL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const PARAMETER = /^%\{([a-zA-Z_][a-zA-Z0-9_]*)\}$/

/** Max endpoint levels and characters (spec §1.2). */
export const MAX_ENDPOINT_LEVELS = 64
export const MIN_ENDPOINT_LENGTH = 2
export const MAX_ENDPOINT_LENGTH = 256

/** Raw levels of a template or path: `/a/%{b}` → `['a', '%{b}']`; no leading `/` → undefined. */
export function splitLevels(text: string): string[] | undefined {
  return text.startsWith('/') ? text.slice(1).split('/') : undefined
}

/** Parses one template level, or undefined when it is neither form. */
export function parseLevel(raw: string): EndpointLevel | undefined {
  if (LITERAL.test(raw)) return { kind: 'literal', text: raw }
  const name = PARAMETER.exec(raw)?.[1]
  return name === undefined ? undefined : { kind: 'parameter', name }
}

/**
 * The levels of a template when every level is well formed (the level count and length are
 * checked separately so each gets its own issue); undefined otherwise.
 */
export function parseEndpointLevels(endpoint: string): EndpointLevel[] | undefined {
  const raws = splitLevels(endpoint)
  if (raws === undefined) return undefined
  const levels: EndpointLevel[] = []
  for (const raw of raws) {
    const level = parseLevel(raw)
    if (level === undefined) return undefined
    levels.push(level)
  }
  return levels
}
