import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseInterface, parseInterfaceText } from '../../src/interface/index.js'
import type { Interface } from '../../src/interface/model.js'

const fixture = (name: string): Interface => {
  const file = fileURLToPath(new URL(`../fixtures/interfaces/valid/${name}.json`, import.meta.url))
  const r = parseInterfaceText(readFileSync(file, 'utf8'))
  assert.ok(r.ok, JSON.stringify(r))
  return r.value
}

describe('parseInterface model', () => {
  it('applies the defaults of spec §1.1/§1.2 and keeps texts', () => {
    const r = parseInterface({
      interface_name: 'org.example.Defaults',
      version_major: 2,
      version_minor: 3,
      type: 'datastream',
      ownership: 'server',
      description: 'top',
      mappings: [{ endpoint: '/%{room}/t', type: 'double', doc: 'long text' }],
    })
    assert.ok(r.ok)
    assert.deepEqual(r.value, {
      name: 'org.example.Defaults',
      major: 2,
      minor: 3,
      type: 'datastream',
      ownership: 'server',
      aggregation: 'individual',
      description: 'top',
      mappings: [
        {
          endpoint: '/%{room}/t',
          levels: [
            { kind: 'parameter', name: 'room' },
            { kind: 'literal', text: 't' },
          ],
          type: 'double',
          reliability: 'unreliable',
          retention: 'discard',
          expiry: 0,
          databaseRetentionPolicy: 'no_ttl',
          allowUnset: false,
          explicitTimestamp: false,
          required: false,
          encrypted: false,
          doc: 'long text',
        },
      ],
    })
  })

  it('maps the legacy aliases of spec §1.1', () => {
    assert.equal(fixture('legacy-quality-producer').ownership, 'device')
    assert.equal(fixture('legacy-quality-ignored-beside-ownership').ownership, 'device')
    assert.equal(fixture('legacy-aggregate-true').aggregation, 'object')
    assert.equal(fixture('legacy-mapping-path').mappings[0]?.endpoint, '/a/%{b}')
  })

  it('keeps the set attributes of a datastream mapping', () => {
    const [a, b] = fixture('object-with-ttl-and-timestamp').mappings
    assert.equal(a?.databaseRetentionPolicy, 'use_ttl')
    assert.equal(a?.databaseRetentionTtl, 60)
    assert.equal(b?.explicitTimestamp, true)
    assert.equal(b?.type, 'datetime')
  })
})

describe('parseInterface issues', () => {
  it('collects every issue with a JSON Pointer, not just the first', () => {
    const r = parseInterface({
      interface_name: 'com.x.Name-',
      version_major: 1.5,
      version_minor: 0,
      type: 'datastream',
      ownership: 'device',
      mappings: [
        { endpoint: '/a/%{x}', type: 'double' },
        { endpoint: '/a/b', type: 'dbl', explicit_timestamp: 'yes' },
        { endpoint: '/c', type: 'double', expiry: -1 },
      ],
    })
    assert.ok(!r.ok)
    assert.deepEqual(
      r.error.map((i) => [i.code, i.path]),
      [
        ['interface_name_syntax', '/interface_name'],
        ['not_integer', '/version_major'],
        ['enum_value', '/mappings/1/type'],
        ['field_type', '/mappings/1/explicit_timestamp'],
        ['expiry_negative', '/mappings/2/expiry'],
        ['overlapping_endpoints', '/mappings/1/endpoint'],
      ],
    )
  })

  it('points at the legacy path field and names offending values, truncated', () => {
    const long = `/${'x'.repeat(300)}`
    const r = parseInterface({
      interface_name: 'org.example.A',
      version_major: 1,
      version_minor: 0,
      type: 'properties',
      ownership: 'device',
      mappings: [{ path: long, type: 'string' }],
    })
    assert.ok(!r.ok)
    const [first] = r.error
    assert.equal(first?.code, 'endpoint_length')
    assert.equal(first?.path, '/mappings/0/path')
    assert.ok(first !== undefined && first.message.length < 150, first?.message)
    assert.match(first?.message ?? '', /"\/xxxx.*…\(303 chars\)/)
  })

  it('keeps encrypted on the parsed mapping, false by default', () => {
    const [plain] = fixture('encrypted-false').mappings
    const [flagged] = fixture('encrypted-true-individual-datastream').mappings
    assert.equal(plain?.encrypted, false)
    assert.equal(flagged?.encrypted, true)
    assert.equal(fixture('every-type').mappings[0]?.encrypted, false)
  })
})
