import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { SdkError } from '../../src/errors.js'
import {
  compileInterface,
  loadCompiledInterface,
  parseInterface,
  parseInterfaceText,
} from '../../src/interface/index.js'
import type { Interface } from '../../src/interface/model.js'

const dirs = [
  fileURLToPath(new URL('../../../interfaces/edgehog/', import.meta.url)),
  fileURLToPath(new URL('../../../interfaces/examples/', import.meta.url)),
  fileURLToPath(new URL('../fixtures/interfaces/valid/', import.meta.url)),
]

/** What the table keeps: the model less descriptions and docs. */
function withoutTexts(iface: Interface): Interface {
  const { description: _d, doc: _o, ...rest } = iface
  return {
    ...rest,
    mappings: iface.mappings.map(({ description: _md, doc: _mo, ...m }) => m),
  }
}

const roundTrip = (iface: Interface) =>
  loadCompiledInterface(JSON.parse(JSON.stringify(compileInterface(iface))))

const code = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    assert.ok(e instanceof SdkError)
    return e.code
  }
  assert.fail('did not throw')
}

describe('compiled interfaces', () => {
  it('load back as the parsed interface, less its texts, for every shipped and valid fixture', () => {
    let count = 0
    for (const dir of dirs) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        const r = parseInterfaceText(readFileSync(join(dir, file), 'utf8'))
        assert.ok(r.ok, file)
        if (r.value.mappings.some((m) => m.encrypted)) continue
        assert.deepEqual(roundTrip(r.value), withoutTexts(r.value), file)
        count++
      }
    }
    assert.ok(count >= 57, `${count} interfaces`)
  })

  it('round-trip every mapping option combination', () => {
    const mapping = fc.record({
      type: fc.constantFrom('double', 'longintegerarray', 'datetime', 'binaryblob'),
      reliability: fc.constantFrom('unreliable', 'guaranteed', 'unique'),
      retention: fc.constantFrom('discard', 'volatile', 'stored'),
      expiry: fc.nat({ max: 2 ** 31 - 1 }),
      database_retention_policy: fc.constantFrom('no_ttl', 'use_ttl'),
      explicit_timestamp: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(mapping, { minLength: 1, maxLength: 5 }), fc.nat(9), (ms, minor) => {
        const json = {
          interface_name: 'org.example.Compiled',
          version_major: 1,
          version_minor: minor,
          type: 'datastream',
          ownership: 'device',
          mappings: ms.map((m, i) => ({
            endpoint: `/%{room}/m${i}`,
            ...m,
            ...(m.database_retention_policy === 'use_ttl' ? { database_retention_ttl: 60 } : {}),
          })),
        }
        const r = parseInterface(json)
        if (!r.ok) return true
        assert.deepEqual(roundTrip(r.value), withoutTexts(r.value))
        return true
      }),
      { seed: 16, numRuns: 500 },
    )
  })

  it('keeps the format-1 type codes (tables compiled earlier must load the same)', () => {
    const types = ['double', 'integer', 'boolean', 'longinteger', 'string', 'binaryblob']
    types.push('datetime', 'doublearray', 'integerarray', 'booleanarray', 'longintegerarray')
    types.push('stringarray', 'binaryblobarray', 'datetimearray')
    types.forEach((type, code) => {
      const table = [1, 'org.example.T', 1, 0, 0, [['/a', code, 0, 0]]]
      assert.equal(loadCompiledInterface(table).mappings[0]?.type, type)
    })
  })

  it('refuses an interface with an encrypted mapping', () => {
    const r = parseInterface({
      interface_name: 'org.example.Secret',
      version_major: 1,
      version_minor: 0,
      type: 'datastream',
      ownership: 'device',
      mappings: [{ endpoint: '/x', type: 'double', encrypted: true }],
    })
    assert.ok(r.ok)
    assert.equal(
      code(() => compileInterface(r.value)),
      'local.unsupported_interface',
    )
  })

  it('refuses tables that are not format 1, naming the broken part', () => {
    const good = [1, 'org.example.T', 1, 0, 0, [['/a', 0, 0, 0]]]
    const bad: [unknown, string][] = [
      [null, 'table'],
      [[2, ...good.slice(1)], 'table'],
      [[1, 5, 1, 0, 0, [['/a', 0, 0, 0]]], 'header'],
      [[1, 'org.example.T', -1, 0, 0, [['/a', 0, 0, 0]]], 'header'],
      [[1, 'org.example.T', 1, 0, 0, []], 'mappings'],
      [[1, 'org.example.T', 1, 0, 0, [['a', 0, 0, 0]]], 'mappings/0'],
      [[1, 'org.example.T', 1, 0, 0, [['/a', 14, 0, 0]]], 'mappings/0'],
      [[1, 'org.example.T', 1, 0, 0, [['/a', 0, 3, 0]]], 'mappings/0'],
      [[1, 'org.example.T', 1, 0, 0, [['/a', 0, 0, 0.5]]], 'mappings/0'],
      [
        [
          1,
          'org.example.T',
          1,
          0,
          0,
          [
            ['/a', 0, 0, 0],
            ['/b', 0, 12, 0],
          ],
        ],
        'mappings/1',
      ],
    ]
    for (const [table, at] of bad) {
      try {
        loadCompiledInterface(table)
        assert.fail(`accepted ${JSON.stringify(table)}`)
      } catch (e) {
        assert.ok(e instanceof SdkError)
        assert.equal(e.code, 'local.invalid_compiled_interface')
        assert.equal(e.ctx['at'], at)
      }
    }
    assert.equal(loadCompiledInterface(good).mappings[0]?.type, 'double')
  })
})
