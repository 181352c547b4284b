/**
 * `encrypted` (spec §1.2): Astarte's verdict in `parseInterface` (Core's `mapping_test.exs`
 * cases), and a device's refusal of a valid interface that asks for it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  SdkError,
  checkSupportedInterface,
  parseInterface,
  type Interface,
} from '@astarte-ts/sdk-core'
import { runs } from './arbitraries.js'

type Kind = { type: 'datastream' | 'properties'; aggregation: 'individual' | 'object' }
const kinds: readonly Kind[] = [
  { type: 'datastream', aggregation: 'individual' },
  { type: 'datastream', aggregation: 'object' },
  { type: 'properties', aggregation: 'individual' },
]

const json = (kind: Kind, ownership: string, mappings: readonly Record<string, unknown>[]) => ({
  interface_name: 'com.Name',
  version_major: 1,
  version_minor: 0,
  ownership,
  ...kind,
  mappings: mappings.map((m) => ({ type: 'string', ...m })),
})

const parsed = (value: unknown): Interface => {
  const r = parseInterface(value)
  assert.ok(r.ok, JSON.stringify(r))
  return r.value
}

describe('encrypted in interface validation', () => {
  it('is accepted true or false on individual, object and properties mappings of either owner', () => {
    for (const kind of kinds) {
      for (const ownership of ['device', 'server']) {
        for (const encrypted of [true, false]) {
          const mappings = [{ endpoint: '/g/valid', encrypted }]
          const iface = parsed(json(kind, ownership, mappings))
          assert.equal(iface.mappings[0]?.encrypted, encrypted, `${kind.type} ${ownership}`)
        }
      }
    }
  })

  it('defaults to false', () => {
    const iface = parsed(json(kinds[0] as Kind, 'device', [{ endpoint: '/valid' }]))
    assert.equal(iface.mappings[0]?.encrypted, false)
  })

  it('may differ between the mappings of an object (not one of its shared attributes)', () => {
    const mappings = [
      { endpoint: '/%{id}/a', encrypted: true },
      { endpoint: '/%{id}/b', encrypted: false },
      { endpoint: '/%{id}/c' },
    ]
    const iface = parsed(json(kinds[1] as Kind, 'device', mappings))
    assert.deepEqual(
      iface.mappings.map((m) => m.encrypted),
      [true, false, false],
    )
  })

  it('rejects a value that is not a boolean as field_type at its path', () => {
    for (const value of ['not_a_boolean', 1, [], {}]) {
      const mappings = [{ endpoint: '/a' }, { endpoint: '/b', encrypted: value }]
      const r = parseInterface(json(kinds[0] as Kind, 'device', mappings))
      assert.ok(!r.ok)
      assert.deepEqual(
        r.error.map((i) => [i.code, i.path]),
        [['field_type', '/mappings/1/encrypted']],
      )
    }
  })
})

/** `value` with `encrypted` set on every mapping that is an object (`undefined` removes it). */
function withEncrypted(value: unknown, encrypted: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const root = value as Record<string, unknown>
  const mappings = root['mappings']
  if (!Array.isArray(mappings)) return value
  const set = (m: unknown): unknown => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return m
    const { encrypted: _dropped, ...rest } = m as Record<string, unknown>
    return encrypted === undefined ? rest : { ...rest, encrypted }
  }
  return { ...root, mappings: mappings.map(set) }
}

const objectMappingIndexes = (value: unknown): number[] => {
  const mappings = (value as { mappings?: unknown }).mappings
  if (!Array.isArray(mappings)) return []
  return mappings.flatMap((m: unknown, i) =>
    typeof m === 'object' && m !== null && !Array.isArray(m) ? [i] : [],
  )
}

const sortedIssues = (r: ReturnType<typeof parseInterface>): string[] =>
  r.ok ? [] : r.error.map((i) => JSON.stringify([i.code, i.path, i.message])).sort()

/** Mostly valid interfaces of every kind, with mappings that break rules now and then. */
const arbInterface = fc.record({
  interface_name: fc.constantFrom('org.example.A', 'control'),
  version_major: fc.integer({ min: 0, max: 2 }),
  version_minor: fc.integer({ min: 0, max: 2 }),
  type: fc.constantFrom('datastream', 'properties'),
  ownership: fc.constantFrom('device', 'server'),
  aggregation: fc.constantFrom('individual', 'object'),
  mappings: fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.record({ endpoint: fc.constantFrom('/a', '/%{x}/b', '/c/d') }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    ),
    { minLength: 0, maxLength: 4 },
  ),
})

const notBoolean = fc.jsonValue({ maxDepth: 1 }).filter((v) => typeof v !== 'boolean')

describe('encrypted on arbitrary interfaces', () => {
  it('a boolean never changes the verdict nor the issues, and the parsed mappings carry it', () => {
    fc.assert(
      fc.property(arbInterface, fc.boolean(), (value, encrypted) => {
        const plain = parseInterface(withEncrypted(value, undefined))
        const flagged = parseInterface(withEncrypted(value, encrypted))
        assert.equal(flagged.ok, plain.ok)
        assert.deepEqual(sortedIssues(flagged), sortedIssues(plain))
        if (!flagged.ok || !plain.ok) return
        assert.deepEqual(
          flagged.value.mappings,
          plain.value.mappings.map((m) => ({ ...m, encrypted })),
        )
        assert.deepEqual({ ...flagged.value, mappings: [] }, { ...plain.value, mappings: [] })
      }),
      runs(0xe1c0),
    )
  })

  it('any other JSON value adds exactly one field_type issue per mapping, at its encrypted', () => {
    fc.assert(
      fc.property(arbInterface, notBoolean, (value, encrypted) => {
        const plain = parseInterface(withEncrypted(value, undefined))
        const bad = parseInterface(withEncrypted(value, encrypted))
        const added = objectMappingIndexes(value).map((i) => `/mappings/${i}/encrypted`)
        if (added.length === 0) {
          assert.deepEqual(sortedIssues(bad), sortedIssues(plain))
          return
        }
        assert.ok(!bad.ok)
        const extra = bad.error.filter((i) => i.path.endsWith('/encrypted'))
        assert.deepEqual(
          extra.map((i) => [i.code, i.path]),
          added.map((path) => ['field_type', path]),
        )
        const rest = bad.error.filter((i) => !i.path.endsWith('/encrypted'))
        assert.deepEqual(
          rest.map((i) => JSON.stringify([i.code, i.path, i.message])).sort(),
          sortedIssues(plain),
        )
      }),
      runs(0xe1c1),
    )
  })
})

describe('checkSupportedInterface', () => {
  it('passes an interface without encrypted mappings', () => {
    const iface = parsed(json(kinds[0] as Kind, 'device', [{ endpoint: '/a', encrypted: false }]))
    assert.doesNotThrow(() => checkSupportedInterface(iface))
  })

  it('refuses one with local.unsupported_interface naming interface, mapping, every issue', () => {
    for (const kind of kinds) {
      const mappings =
        kind.aggregation === 'object'
          ? [{ endpoint: '/%{s}/a' }, { endpoint: '/%{s}/b', encrypted: true }]
          : [
              { endpoint: '/a' },
              { endpoint: '/b', encrypted: true },
              { endpoint: '/c', encrypted: true },
            ]
      const iface = parsed(json(kind, 'server', mappings))
      const encrypted = iface.mappings.filter((m) => m.encrypted)
      assert.throws(
        () => checkSupportedInterface(iface),
        (e: unknown) => {
          assert.ok(e instanceof SdkError)
          assert.equal(e.code, 'local.unsupported_interface')
          assert.deepEqual(e.ctx, { interfaceName: 'com.Name', endpoint: encrypted[0]?.endpoint })
          assert.match(e.message, /^couldn't use interface com\.Name: mapping \S+ has encrypted/)
          assert.deepEqual(
            e.issues.map((i) => [i.code, i.path]),
            iface.mappings.flatMap((m, i) =>
              m.encrypted ? [['encrypted_unsupported', `/mappings/${i}/encrypted`]] : [],
            ),
          )
          return true
        },
      )
    }
  })
})
