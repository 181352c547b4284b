import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  endpointParameters,
  parseInterface,
  resolveIndividualPath,
} from '../../src/interface/index.js'
import { arbEndpointSet, interfaceJson, runs, template, type Levels } from './arbitraries.js'
import { automatonAccepts } from './automaton-model.js'

/** Keeps each endpoint that the automaton oracle accepts next to those already kept. */
const validSubset = (endpoints: readonly Levels[]): Levels[] =>
  endpoints.reduce<Levels[]>(
    (kept, e) => (automatonAccepts([...kept, e]) ? [...kept, e] : kept),
    [],
  )

// spec §1.3-K: non-empty, no '/', '+', '#'; values equal to literals collide on purpose.
const arbParameterValue = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'd', '_', 'é', '%{p0}'),
  fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }).filter((v) => !/[/+#]/.test(v)),
)

describe('resolveIndividualPath on random valid interfaces', () => {
  it('finds the mapping whose endpoint generated the path, with its parameter values', () => {
    const arbCase = arbEndpointSet.chain((set) => {
      const endpoints = validSubset(set)
      return fc.record({
        endpoints: fc.constant(endpoints),
        index: fc.nat({ max: endpoints.length - 1 }),
        values: fc.array(arbParameterValue, { minLength: 4, maxLength: 4 }),
      })
    })
    fc.assert(
      fc.property(arbCase, ({ endpoints, index, values }) => {
        const parsed = parseInterface(interfaceJson(endpoints.map(template)))
        assert.ok(parsed.ok, JSON.stringify(parsed))
        const levels = endpoints[index] ?? []
        const path = levels.map((l, i) => `/${l ?? values[i]}`).join('')
        const r = resolveIndividualPath(parsed.value, path)
        assert.ok(r.ok, `${path}: ${JSON.stringify(r)}`)
        assert.equal(r.value.endpoint, template(levels))
        const expected = levels.flatMap((l, i) => (l === null ? [[`p${i}`, values[i]]] : []))
        assert.deepEqual(Object.entries(endpointParameters(r.value, path)), expected)
      }),
      runs(0x2e50),
    )
  })
})
