/**
 * @module endpoint overlap: the pairwise form of Core's endpoint automaton (spec §1.3-I), shown
 * equivalent to it by the property test in `test/interface/overlap.test.ts`.
 */
import type { EndpointLevel } from './model.js'

/**
 * Whether two endpoints of one interface conflict: over the shorter one's length every level is
 * equal (literals case-sensitive) or a parameter on either side. Hence a concrete path could match
 * both, or one endpoint is an inner node of the other (`/a/b` + `/a/b/c`).
 */
export function endpointsOverlap(
  a: readonly EndpointLevel[],
  b: readonly EndpointLevel[],
): boolean {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a[i]
    const y = b[i]
    if (x?.kind === 'literal' && y?.kind === 'literal' && x.text !== y.text) return false
  }
  return true
}

/** spec §1.3-H: the endpoint with every `%{…}` removed, lower-cased; equal keys conflict. */
export const uniquenessKey = (endpoint: string): string =>
  endpoint.replace(/%\{[^}]*\}/g, '').toLowerCase()
