/**
 * Regexes Espruino's RegExp can't run (no `?`, `{m,n}`, optional or quantified groups, `\u`),
 * rewritten as plain regexes or functions: each accepts exactly what its old regex accepted, the
 * old regex as the oracle (in Node). Strings are drawn from the characters that matter to each
 * regex, plus any string.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { encodePacket, SdkError } from '@astarte-ts/sdk-core'
import { isAbsoluteHttpUrl, isRealmSyntax } from '../src/pairing/target.js'
import { FULL_INTEGER_RE, isIntrospectionName } from '../src/protocol/introspection.js'
import { isSpaceCode } from '../src/value/space.js'

const RUNS = { numRuns: 20_000 }

/** Strings of `alphabet`'s pieces after one of `prefixes` (or none), or any string. */
const near = (prefixes: readonly string[], alphabet: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('', ...prefixes),
        fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }),
      )
      .map(([p, cs]) => p + cs.join('')),
    fc.string({ unit: 'binary', maxLength: 24 }),
  )

test('realm: isRealmSyntax accepts what /^[a-z][a-z0-9]{0,47}$/ accepts', () => {
  const old = /^[a-z][a-z0-9]{0,47}$/
  const long = fc.stringMatching(/^[a-z0-9A]{0,50}$/)
  fc.assert(
    fc.property(
      fc.oneof(near(['a', '0'], ['a', 'z', '0', '9', 'A', '-', '\n', 'é']), long),
      (s) => {
        assert.equal(isRealmSyntax(s), old.test(s), JSON.stringify(s))
      },
    ),
    RUNS,
  )
  for (const n of [47, 48, 49]) {
    const s = 'a'.repeat(n)
    assert.equal(isRealmSyntax(s), old.test(s), String(n))
  }
})

test('pairing url: isAbsoluteHttpUrl accepts what /^https?:\\/\\/[^/?#\\s]+/i accepts', () => {
  const old = /^https?:\/\/[^/?#\s]+/i
  const pieces = ['/', '?', '#', ' ', '\t', '\n', '\u00a0', '\u2003', '\ufeff', 'a', ':', '1', 'ſ']
  const prefixes = ['http://', 'https://', 'HTTPS://', 'hTtP://', 'http:/', 'https:', 'httpss://']
  fc.assert(
    fc.property(near(prefixes, pieces), (s) => {
      assert.equal(isAbsoluteHttpUrl(s), old.test(s), JSON.stringify(s))
    }),
    RUNS,
  )
})

test('topic name: wildcards and U+0000 refused exactly as /[+#\\u0000]/ found them', () => {
  const old = /[+#\u0000]/
  const pieces = ['+', '#', '\u0000', 'a', '/', '\u0001', '0']
  fc.assert(
    fc.property(near([], pieces), (topic) => {
      let refused = false
      try {
        encodePacket({
          type: 'publish',
          topic,
          payload: new Uint8Array(0),
          qos: 0,
          dup: false,
          retain: false,
          packetId: 0,
        })
      } catch (e) {
        assert.ok(e instanceof SdkError && e.code === 'local.mqtt_invalid_packet', String(e))
        refused = true
      }
      assert.equal(refused, topic === '' || old.test(topic), JSON.stringify(topic))
    }),
    RUNS,
  )
})

test('introspection name: isIntrospectionName accepts what the spec §1.3-A regex accepts', () => {
  const old = /^([a-zA-Z][a-zA-Z0-9]*\.([a-zA-Z0-9][a-zA-Z0-9-]*\.)*)?[a-zA-Z][a-zA-Z0-9]*$/
  const pieces = ['a', 'Z', '0', '9', '-', '.', '.', '_', ' ', '\n']
  fc.assert(
    fc.property(near(['org.', 'a.b.', '0.', '-a.', '.'], pieces), (s) => {
      assert.equal(isIntrospectionName(s), old.test(s), JSON.stringify(s))
    }),
    RUNS,
  )
})

test('introspection versions: FULL_INTEGER_RE accepts what /^[+-]?[0-9]+$/ accepts', () => {
  const old = /^[+-]?[0-9]+$/
  const pieces = ['+', '-', '0', '1', '9', ' ', '\n', 'a', '.', 'e']
  fc.assert(
    fc.property(near(['+', '-', '+-'], pieces), (s) => {
      assert.equal(FULL_INTEGER_RE.test(s), old.test(s), JSON.stringify(s))
    }),
    RUNS,
  )
})

test('space: isSpaceCode is \\s for every UTF-16 code unit', () => {
  for (let c = 0; c < 0x10000; c++) {
    assert.equal(isSpaceCode(c), /\s/.test(String.fromCharCode(c)), c.toString(16))
  }
})
