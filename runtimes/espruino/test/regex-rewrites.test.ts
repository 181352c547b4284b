/**
 * The functions that replaced regexes Espruino's RegExp can't run, against those regexes as the
 * oracle (in Node): each accepts exactly what its regex accepted, and captures the same parts.
 * Strings are drawn from the characters that matter to each regex, plus anything at all.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { brokerUrlParts as coreBrokerUrlParts } from '../../../sdk-core/src/pairing/broker-url-parts.js'
import { dateTimeParts as coreDateTimeParts } from '../../../sdk-core/src/value/date-time-parts.js'
import { brokerUrlParts } from '../src/broker-url-parts.js'
import { hasLineEnd, isSpaceCode } from '../src/chars.js'
import { dateTimeParts } from '../src/date-time-parts.js'
import { isTlsFailure } from '../src/handshake-errors.js'
import { urlParts } from '../src/http.js'
import { isInt64Syntax } from '../src/int64.js'
import { digits, nearDateTimes } from './engine/date-times.js'

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

test('chars: isSpaceCode is \\s and hasLineEnd what . refuses, for every UTF-16 code unit', () => {
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c)
    assert.equal(isSpaceCode(c), /\s/.test(ch), c.toString(16))
    assert.equal(hasLineEnd(`a${ch}`, 1), !/./.test(ch), c.toString(16))
  }
})

test("date-time: dateTimeParts captures what sdk-core's regex captured", () => {
  const old = new RegExp(
    '^(\\d{4}|[+-]\\d{6})-(\\d{2})-(\\d{2})([Tt ])(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?' +
      '(\\s*)([Zz]|[+-](\\d{2}):?(\\d{2}))?$',
  )
  const piece = fc.oneof(
    fc.constantFrom('-', ':', '.', 'T', 't', ' ', 'Z', 'z', '+', '\u00a0', '\n', 'x', '0', '12'),
    digits(2),
    digits(4),
    digits(6),
    fc.stringMatching(/^[0-9]{0,11}$/),
  )
  // well-formed ones with pieces changed (`nearDateTimes`), and pieces strung together
  const strung = fc.array(piece, { maxLength: 14 }).map((p) => p.join(''))
  fc.assert(
    fc.property(
      fc.oneof(nearDateTimes, strung, fc.string({ unit: 'binary', maxLength: 30 })),
      (s) => {
        const m = old.exec(s)
        const core = coreDateTimeParts(s)
        assert.deepEqual(
          core === undefined ? undefined : Array.from(core),
          m === null ? undefined : Array.from(m),
        )
        assert.deepEqual(
          dateTimeParts(s),
          m === null ? undefined : Array.from(m),
          JSON.stringify(s),
        )
      },
    ),
    RUNS,
  )
})

test('broker url: brokerUrlParts captures what the broker URL regex captured', () => {
  const old = new RegExp(
    [
      '^[a-z][a-z0-9+.-]*://',
      '(?:[^@/?#]*@)?',
      '(\\[[0-9a-f:.]+\\]|[^:/?#[\\]]+)',
      '(?::(\\d*))?',
      '(?:[/?#].*)?$',
    ].join(''),
    'i',
  )
  const pieces = [
    '@',
    ':',
    '/',
    '?',
    '#',
    '[',
    ']',
    '::1',
    'fE',
    '.',
    'a',
    '8883',
    '',
    '\n',
    'é',
    '+',
  ]
  const prefixes = ['mqtts://', 'ssl://', 'MQTTS://', 'a+b.c-d://', '1x://', 'mqtts:/', '://']
  fc.assert(
    fc.property(near(prefixes, pieces), (s) => {
      const m = old.exec(s)
      assert.deepEqual(coreBrokerUrlParts(s), m === null ? undefined : [m[1], m[2]])
      assert.deepEqual(brokerUrlParts(s), m === null ? undefined : [m[1], m[2]], JSON.stringify(s))
    }),
    RUNS,
  )
  assert.deepEqual(brokerUrlParts('mqtts://u@[::1]:8883/x'), ['[::1]', '8883'])
  assert.deepEqual(brokerUrlParts('mqtts://a@b@c:1'), ['b@c', '1'])
})
