import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { encodeIntrospection, parseIntrospection } from '@astarte-ts/sdk-core'
import { fcOptions } from '../bson/fc-config.js'

test('encoding joins name:major:minor with ; in name order', () => {
  assert.equal(encodeIntrospection([]), '')
  assert.equal(
    encodeIntrospection([
      { name: 'org.example.Draft', major: 0, minor: 3 },
      { name: 'com.example.A', major: 1, minor: 0 },
    ]),
    'com.example.A:1:0;org.example.Draft:0:3',
  )
})

test('the spec example parses', () => {
  assert.deepEqual(parseIntrospection('com.example.A:1:0;org.example.Draft:0:3'), {
    ok: true,
    value: [
      { name: 'com.example.A', major: 1, minor: 0 },
      { name: 'org.example.Draft', major: 0, minor: 3 },
    ],
  })
  assert.deepEqual(parseIntrospection(''), { ok: true, value: [] })
})

test('duplicate names: the last versions win', () => {
  const r = parseIntrospection('a.B:1:0;c.D:2:0;a.B:3:1')
  assert.deepEqual(r, {
    ok: true,
    value: [
      { name: 'a.B', major: 3, minor: 1 },
      { name: 'c.D', major: 2, minor: 0 },
    ],
  })
})

test('any bad entry rejects the whole introspection', () => {
  const bad = [
    'a.B:1',
    'a.B:1:0:0',
    'a.B:1:0;',
    ';a.B:1:0',
    'a.B:-1:0',
    'a.B:1:x',
    'a.B:1.0:0',
    'a.B: 1:0',
    'a.B:1:',
    'a.B::0',
    '1Just:1:0',
    'com.-.X:1:0',
    'com.x.Name-:1:0',
    'com.x.Name.:1:0',
    'c-m.X:1:0',
    'a.B:1:0;x y:1:0',
  ]
  for (const text of bad) assert.equal(parseIntrospection(text).ok, false, text)
})

test('single-component names and signed zero/plus versions pass, as in DUP', () => {
  assert.equal(parseIntrospection('valid:1:0').ok, true)
  assert.deepEqual(parseIntrospection('a.B:+1:-0'), {
    ok: true,
    value: [{ name: 'a.B', major: 1, minor: 0 }],
  })
})

test('parse(encode(set)) is the set', () => {
  const entry = fc.record({
    name: fc.stringMatching(
      /^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z0-9][a-zA-Z0-9-]*)*\.[a-zA-Z][a-zA-Z0-9]*$/,
    ),
    major: fc.nat(),
    minor: fc.nat(),
  })
  fc.assert(
    fc.property(fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 8 }), (generated) => {
      const entries = generated.map((e) => ({ ...e }))
      const parsed = parseIntrospection(encodeIntrospection(entries))
      assert.ok(parsed.ok)
      const byName = (a: { name: string }, b: { name: string }): number =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0
      assert.deepEqual([...parsed.value].sort(byName), [...entries].sort(byName))
    }),
    fcOptions,
  )
})
