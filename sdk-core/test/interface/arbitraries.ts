/** @module interface test arbitraries: endpoint sets over a tiny alphabet: overlaps are common. */
import fc from 'fast-check'

/** Seeded runs; `FC_NUM_RUNS` overrides the 10 000 default. */
export const runs = (seed: number) => ({
  seed,
  numRuns: Number(process.env['FC_NUM_RUNS'] ?? 10000),
})

/** One endpoint as levels; `null` marks a parameter level. */
export type Levels = readonly (string | null)[]

const level = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c', 'd') },
  { weight: 2, arbitrary: fc.constant(null) },
)

export const arbLevels: fc.Arbitrary<Levels> = fc.array(level, { minLength: 1, maxLength: 4 })

export const arbEndpointSet = fc.array(arbLevels, { minLength: 1, maxLength: 6 })

/** Renders levels as an endpoint template, naming parameters after their position. */
export const template = (levels: Levels): string =>
  levels.map((l, i) => (l === null ? `/%{p${i}}` : `/${l}`)).join('')

/** A datastream interface JSON with one double mapping per endpoint. */
export const interfaceJson = (endpoints: readonly string[]) => ({
  interface_name: 'org.example.Random',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'device',
  mappings: endpoints.map((endpoint) => ({ endpoint, type: 'double' })),
})
