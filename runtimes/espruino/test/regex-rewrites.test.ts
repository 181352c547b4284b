/**
 * The functions that replaced regexes Espruino's RegExp can't run, against those regexes as the
 * oracle (in Node): each accepts exactly what its regex accepted, and captures the same parts.
 * Strings are drawn from the characters that matter to each regex, plus anything at all.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isTlsFailure } from '../src/handshake-errors.js'
import { urlParts } from '../src/http.js'
import { isInt64Syntax } from '../src/int64.js'

const RUNS = { numRuns: 20_000 }

/** Strings of `alphabet`'s pieces, prefixed with one of `prefixes` or not, or any string. */
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

test('isInt64Syntax accepts what /^-?(0|[1-9][0-9]{0,18})$/ accepts', () => {
  const old = /^-?(0|[1-9][0-9]{0,18})$/
  const digits = ['0', '1', '5', '9', '-', '+', ' ', '\n', 'a', '.', '٣']
  const long = fc
    .tuple(fc.constantFrom('', '-', '--'), fc.stringMatching(/^[0-9]{0,21}$/))
    .map(([s, d]) => s + d)
  fc.assert(
    fc.property(fc.oneof(near(['-', '0', '-0'], digits), long), (s) => {
      assert.equal(isInt64Syntax(s), old.test(s), JSON.stringify(s))
    }),
    RUNS,
  )
  // the boundaries, each way
  for (const s of ['0', '-0', '00', '1234567890123456789', '12345678901234567890', '-', '']) {
    assert.equal(isInt64Syntax(s), old.test(s), s)
  }
})

test('isTlsFailure accepts what /^(mbedtls_|HTTPS init failed)/ accepts', () => {
  const old = /^(mbedtls_|HTTPS init failed)/
  const pieces = ['mbedtls_', 'mbedtls', 'HTTPS init failed', 'HTTPS init', ' ', 'x', '\n', '_']
  fc.assert(
    fc.property(near(['mbedtls_', 'HTTPS init failed', ' mbedtls_'], pieces), (s) => {
      assert.equal(isTlsFailure(s), old.test(s), JSON.stringify(s))
    }),
    RUNS,
  )
})

test('urlParts captures what /^(https?:)\\/\\/([^/:]+)(?::(\\d+))?(\\/.*)?$/ captures', () => {
  const old = /^(https?:)\/\/([^/:]+)(?::(\d+))?(\/.*)?$/
  const pieces = ['/', ':', '1', '0', '9', 'a', '.', '?', '#', '\n', '\r', '\u2028', '\u2029', ' ']
  const prefixes = ['http://', 'https://', 'http:/', 'https:', 'HTTP://', 'ftp://', 'httpss://']
  fc.assert(
    fc.property(near(prefixes, pieces), (s) => {
      const m = old.exec(s)
      const expected = m === null ? undefined : [m[1], m[2], m[3], m[4]]
      assert.deepEqual(urlParts(s), expected, JSON.stringify(s))
    }),
    RUNS,
  )
  assert.deepEqual(urlParts('https://127.0.0.1:4000/pairing/v1'), [
    'https:',
    '127.0.0.1',
    '4000',
    '/pairing/v1',
  ])
})
