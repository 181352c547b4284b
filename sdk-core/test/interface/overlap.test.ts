import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { endpointsOverlap, parseInterface } from '../../src/interface/index.js'
import type { EndpointLevel } from '../../src/interface/model.js'
import { arbEndpointSet, interfaceJson, runs, template, type Levels } from './arbitraries.js'
import { automatonAccepts } from './automaton-model.js'

const modelLevels = (levels: Levels): EndpointLevel[] =>
  levels.map((l, i) =>
    l === null ? { kind: 'parameter', name: `p${i}` } : { kind: 'literal', text: l },
  )

/** spec §1.3-I pairwise rule: no two distinct mappings conflict. */
const pairwiseAccepts = (endpoints: readonly Levels[]): boolean =>
  endpoints.every((a, i) =>
    endpoints.every((b, j) => i === j || !endpointsOverlap(modelLevels(a), modelLevels(b))),
  )

const overlapIssues = (endpoints: readonly Levels[]) => {
  const r = parseInterface(interfaceJson(endpoints.map(template)))
  return r.ok ? [] : r.error.filter((i) => i.code === 'overlapping_endpoints')
}

describe('endpoint overlap (spec §1.3-I)', () => {
  it('the automaton model agrees with the spec examples', () => {
    const p = null
    assert.equal(
      automatonAccepts([
        ['some', p, 'here'],
        ['some', 'thing'],
      ]),
      false,
    )
    assert.equal(
      automatonAccepts([
        ['some', p],
        ['some', 'thing', 'here'],
      ]),
      false,
    )
    assert.equal(
      automatonAccepts([
        ['some', p],
        [p, 'param'],
      ]),
      false,
    )
    assert.equal(
      automatonAccepts([
        ['param', p],
        ['param', p],
      ]),
      false,
    )
    assert.equal(
      automatonAccepts([
        ['a', 'b'],
        ['a', 'b', 'c'],
      ]),
      false,
    )
    assert.equal(
      automatonAccepts([
        ['test', p, 'v'],
        ['test2', 'pluto', 'v'],
      ]),
      true,
    )
    assert.equal(
      automatonAccepts([
        ['a', p, 'c'],
        ['a', p, 'd'],
      ]),
      true,
    )
    const positional: Levels[] = [
      ['b', p, p, 'a'],
      ['a', 'a', 'a', 'b'],
      ['a', 'a', 'b'],
    ]
    positional.push(['a', 'b'])
    assert.equal(automatonAccepts(positional), true)
    assert.equal(
      automatonAccepts([
        [p, 'b'],
        ['c', 'd'],
      ]),
      true,
    )
  })

  it('the pairwise rule, and parseInterface, reject exactly the sets the automaton rejects', () => {
    fc.assert(
      fc.property(arbEndpointSet, (endpoints) => {
        const accepted = automatonAccepts(endpoints)
        assert.equal(pairwiseAccepts(endpoints), accepted)
        assert.equal(overlapIssues(endpoints).length === 0, accepted)
      }),
      runs(0x1e5),
    )
  })
})
