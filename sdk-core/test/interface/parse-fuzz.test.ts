import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { parseInterface, parseInterfaceText } from '../../src/interface/index.js'
import { runs } from './arbitraries.js'

const choice = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) })

const arbMapping = fc.record(
  {
    endpoint: choice(fc.constantFrom('/a', '/%{x}/b', '/a/b', 'x', '/', '/a%{b}')),
    path: choice(fc.constantFrom('/p', '/%{x}')),
    type: choice(fc.constantFrom('double', 'integerarray', 'Double')),
    reliability: choice(fc.constantFrom('unreliable', 'unique')),
    retention: choice(fc.constantFrom('discard', 'stored')),
    expiry: choice(fc.integer({ min: -5, max: 5 })),
    database_retention_policy: choice(fc.constantFrom('no_ttl', 'use_ttl')),
    database_retention_ttl: choice(fc.integer({ min: 0, max: 100 })),
    allow_unset: fc.jsonValue(),
    explicit_timestamp: choice(fc.boolean()),
    required: choice(fc.boolean()),
    encrypted: choice(fc.boolean()),
    description: fc.jsonValue(),
  },
  { requiredKeys: [] },
)

/** Mostly well-typed interfaces, so the parser goes past the first checks. */
const arbInterfaceLike = fc.record(
  {
    interface_name: choice(fc.constantFrom('org.example.A', 'control', 'a-b', '')),
    version_major: choice(fc.integer({ min: -1, max: 2 })),
    version_minor: choice(fc.integer({ min: -1, max: 2 })),
    type: choice(fc.constantFrom('datastream', 'properties')),
    ownership: choice(fc.constantFrom('device', 'server')),
    quality: choice(fc.constantFrom('producer', 'consumer')),
    aggregation: choice(fc.constantFrom('individual', 'object')),
    aggregate: choice(fc.boolean()),
    mappings: choice(fc.array(choice(arbMapping), { maxLength: 5 })),
  },
  { requiredKeys: [] },
)

const assertResult = (r: ReturnType<typeof parseInterface>): void => {
  if (r.ok) return
  assert.ok(r.error.length > 0)
  for (const i of r.error) {
    assert.equal(typeof i.code, 'string')
    assert.equal(typeof i.message, 'string')
  }
}

describe('parseInterface on arbitrary input', () => {
  it('returns a result for any JavaScript value and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything({ maxDepth: 3 }), arbInterfaceLike), (json) => {
        assertResult(parseInterface(json))
      }),
      runs(0xf022),
    )
  })

  it('returns a result for any text, json_syntax when it is not JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const r = parseInterfaceText(text)
        assertResult(r)
        let isJson = true
        try {
          JSON.parse(text)
        } catch {
          isJson = false
        }
        assert.equal(!r.ok && r.error.some((i) => i.code === 'json_syntax'), !isJson)
      }),
      runs(0xf023),
    )
  })
})
