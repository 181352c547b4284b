/** @module test oracle: Core's endpoint automaton (spec §1.3-I), independent of src/. */
import type { Levels } from './arbitraries.js'

/**
 * Independent model of Core's endpoint automaton (spec §1.3-I), written from the prose: a trie
 * whose parameter levels share one anonymous wildcard edge; resolving follows the literal and the
 * wildcard edge, or every edge for a placeholder token. Valid iff each endpoint resolves to exactly
 * one state, a leaf accepting that endpoint alone.
 */
export function automatonAccepts(endpoints: readonly Levels[]): boolean {
  const WILDCARD = ''
  const transitions = new Map<number, Map<string, number>>([[0, new Map()]])
  const accepting = new Map<number, number[]>()
  endpoints.forEach((levels, index) => {
    let state = 0
    for (const token of levels) {
      const edges = transitions.get(state) ?? new Map<string, number>()
      const key = token ?? WILDCARD
      let next = edges.get(key)
      if (next === undefined) {
        next = transitions.size
        edges.set(key, next)
        transitions.set(next, new Map())
      }
      state = next
    }
    accepting.set(state, [...(accepting.get(state) ?? []), index])
  })
  return endpoints.every((levels, index) => {
    let states = new Set([0])
    for (const token of levels) {
      const next = new Set<number>()
      for (const s of states) {
        const edges = transitions.get(s) ?? new Map<string, number>()
        if (token === null) for (const t of edges.values()) next.add(t)
        else {
          for (const key of [token, WILDCARD]) {
            const t = edges.get(key)
            if (t !== undefined) next.add(t)
          }
        }
      }
      states = next
    }
    const [only] = states
    if (states.size !== 1 || only === undefined) return false
    const owners = accepting.get(only) ?? []
    return owners.length === 1 && owners[0] === index && transitions.get(only)?.size === 0
  })
}
