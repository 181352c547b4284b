/**
 * The Espruino strings module (8-bit strings: text is its UTF-8 bytes) against Node's UTF-8:
 * any text's bytes go on the wire as they are, come back as the same byte string, and any byte
 * sequence is refused exactly when a fatal `TextDecoder` refuses it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { hasLoneSurrogate, utf8Encode, utf8Length, utf8Read, utf8Write } from '../src/utf8.js'

/** A string as Espruino holds it: one character a byte. */
const asBytes = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')
const strict = new TextDecoder('utf-8', { fatal: true })
const wellFormed = (bytes: Uint8Array): boolean => {
  try {
    strict.decode(bytes)
    return true
  } catch {
    return false
  }
}

test("any text's UTF-8 bytes are sent as they are and read back as the same string", () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      const bytes = new Uint8Array(Buffer.from(text, 'utf8'))
      const s = asBytes(bytes)
      assert.equal(hasLoneSurrogate(s), false)
      assert.equal(utf8Length(s), bytes.length)
      assert.deepEqual(utf8Encode(s), bytes)
      const out = new Uint8Array(bytes.length + 2)
      assert.equal(utf8Write(out, 1, s), bytes.length + 1)
      assert.deepEqual(out.subarray(1, -1), bytes)
      const framed = new Uint8Array([0xff, ...bytes, 0xff])
      assert.equal(utf8Read(framed, 1, bytes.length + 1), s)
    }),
    { numRuns: 2000 },
  )
})

test('bytes are refused exactly when they are not well-formed UTF-8', () => {
  // lead bytes and the edges of each second-byte range, so that short arrays hit the rules
  const edgy = fc.constantFrom(
    0x00,
    0x7f,
    0x80,
    0x8f,
    0x90,
    0x9f,
    0xa0,
    0xbf,
    0xc0,
    0xc1,
    0xc2,
    0xdf,
    0xe0,
    0xe1,
    0xec,
    0xed,
    0xee,
    0xef,
    0xf0,
    0xf1,
    0xf3,
    0xf4,
    0xf5,
    0xff,
  )
  fc.assert(
    fc.property(
      fc.array(fc.oneof(edgy, fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      (list) => {
        const bytes = new Uint8Array(list)
        const ok = wellFormed(bytes)
        assert.equal(utf8Read(bytes, 0, bytes.length), ok ? asBytes(bytes) : undefined)
        assert.equal(hasLoneSurrogate(asBytes(bytes)), !ok)
      },
    ),
    { numRuns: 20000 },
  )
})

test('a character above U+00FF (an engine with wide strings) is refused, never truncated', () => {
  assert.equal(hasLoneSurrogate('\u20ac'), true)
  assert.equal(hasLoneSurrogate('\u00c3\u0129'), true)
  assert.equal(hasLoneSurrogate('plain ascii'), false)
})
