import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  endpointParameters,
  objectKey,
  resolveIndividualPath,
  resolveObjectPath,
} from '../../src/interface/index.js'
import { interfaceOf } from './build.js'

const codes = (r: { ok: boolean; error?: readonly { code: string }[] }): string[] =>
  r.ok ? [] : (r.error ?? []).map((i) => i.code)

describe('resolveIndividualPath', () => {
  // spec §1.3-I valid example: the state reached depends on the position.
  const iface = interfaceOf(['/b/%{a}/%{b}/a', '/a/a/a/b', '/a/a/b', '/a/b', '/%{room}/x/y/z/t'])

  it('finds the single mapping a concrete path matches, literal or parameter', () => {
    const cases: [string, string][] = [
      ['/b/x/y/a', '/b/%{a}/%{b}/a'],
      ['/a/a/a/b', '/a/a/a/b'],
      ['/a/a/b', '/a/a/b'],
      ['/a/b', '/a/b'],
      ['/kitchen/x/y/z/t', '/%{room}/x/y/z/t'],
      ['/b/x/y/z/t', '/%{room}/x/y/z/t'],
      ['/\ud83d\ude00 é/x/y/z/t', '/%{room}/x/y/z/t'],
    ]
    for (const [path, endpoint] of cases) {
      const r = resolveIndividualPath(iface, path)
      assert.ok(r.ok, path)
      assert.equal(r.value.endpoint, endpoint)
    }
  })

  it('reports malformed paths as invalid_path (spec §1.3-K)', () => {
    const paths = ['', 'a/b', '/', '//a/b', '/a//b', '/a/b/', '/k+/x/y/z/t', '/#/x/y/z/t']
    const unpaired = ['/\ud800/x/y/z/t', '/a\udc00/x/y/z/t', '/\ud83d\ud83d/x/y/z/t']
    for (const path of [...paths, ...unpaired]) {
      assert.deepEqual(codes(resolveIndividualPath(iface, path)), ['invalid_path'], path)
    }
  })

  it('reports unknown paths as mapping_not_found and inner nodes as ambiguous_path', () => {
    assert.deepEqual(codes(resolveIndividualPath(iface, '/c/d')), ['mapping_not_found'])
    assert.deepEqual(codes(resolveIndividualPath(iface, '/a/b/c/d/e')), ['mapping_not_found'])
    assert.deepEqual(codes(resolveIndividualPath(iface, '/A/b')), ['mapping_not_found'])
    assert.deepEqual(codes(resolveIndividualPath(iface, '/a/a')), ['ambiguous_path'])
    assert.deepEqual(codes(resolveIndividualPath(iface, '/b/x')), ['ambiguous_path'])
  })
})

describe('resolveObjectPath', () => {
  const sensors = interfaceOf(['/%{id}/temp', '/%{id}/hum'], 'object')
  const legacy = interfaceOf(['/value', '/other'], 'object')

  it('accepts the instantiated prefix and returns every mapping', () => {
    const r = resolveObjectPath(sensors, '/sensor1')
    assert.ok(r.ok)
    assert.deepEqual(r.value, sensors.mappings)
    assert.ok(resolveObjectPath(legacy, '/').ok)
  })

  it('rejects prefixes of the wrong shape', () => {
    assert.deepEqual(codes(resolveObjectPath(sensors, '/')), ['mapping_not_found'])
    assert.deepEqual(codes(resolveObjectPath(sensors, '/a/b')), ['mapping_not_found'])
    assert.deepEqual(codes(resolveObjectPath(sensors, '/a/')), ['invalid_path'])
    assert.deepEqual(codes(resolveObjectPath(legacy, '/x')), ['mapping_not_found'])
    const individual = interfaceOf(['/a/b'])
    assert.deepEqual(codes(resolveObjectPath(individual, '/a')), ['aggregation_mismatch'])
  })
})

describe('objectKey and endpointParameters', () => {
  it('take the last level and the parameter values', () => {
    const [temp] = interfaceOf(['/%{building}/%{__proto__}/temp']).mappings
    assert.ok(temp)
    assert.equal(objectKey(temp), 'temp')
    const params = endpointParameters(temp, '/hq/room1/temp')
    assert.deepEqual(Object.entries(params), [
      ['building', 'hq'],
      ['__proto__', 'room1'],
    ])
    assert.deepEqual(Object.entries(endpointParameters(temp, '/hq/room1')), Object.entries(params))
  })
})
