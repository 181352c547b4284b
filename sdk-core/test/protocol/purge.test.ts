import assert from 'node:assert/strict'
import { test } from 'node:test'
import { deflateSync, inflateSync } from 'node:zlib'
import fc from 'fast-check'
import {
  PURGE_INFLATE_LIMIT,
  decodePurgeProperties,
  encodePurgeProperties,
} from '@astarte-ts/sdk-core'
import { zlibInflater } from '@astarte-ts/runtime-testing'
import { fcOptions } from '../bson/fc-config.js'

const hex = (s: string): Uint8Array =>
  Uint8Array.from(
    s
      .trim()
      .split(/\s+/)
      .map((b) => parseInt(b, 16)),
  )

// spec §3.6 vectors
const TEXT = 'com.example.MyInterface/some/path;org.example.DraftInterface/otherPath'
const VECTOR = hex(`00 00 00 46 78 9c 4b ce cf d5 4b ad 48 cc 2d c8 49 d5 f3 ad f4 cc 2b 49 2d
  4a 4b 4c 4e d5 2f ce cf 4d d5 2f 48 2c c9 b0 ce 2f 4a 87 ab 70 29 4a 4c 2b 41 28 ca 2f
  c9 48 2d 0a 00 2a 02 00 b2 0c 1a c9`)
const EMPTY = hex('00 00 00 00 78 9c 03 00 00 00 00 01')

test('encoding matches the spec vectors', () => {
  const encoded = encodePurgeProperties(TEXT.split(';'), zlibInflater)
  // node's zlib (Chromium's fork) chooses other matches than classic zlib at the same level, so
  // the deflate body is compared by content; header and zlib header are compared as bytes
  assert.deepEqual(encoded.subarray(0, 6), VECTOR.subarray(0, 6))
  assert.deepEqual(inflateSync(encoded.subarray(4)), inflateSync(VECTOR.subarray(4)))
  assert.deepEqual(encodePurgeProperties([], zlibInflater), EMPTY)
  assert.equal(TEXT.length, 0x46)
})

test('decoding the spec vectors splits entries at their first slash', () => {
  assert.deepEqual(decodePurgeProperties(VECTOR, zlibInflater), {
    ok: true,
    value: [
      { interfaceName: 'com.example.MyInterface', path: '/some/path' },
      { interfaceName: 'org.example.DraftInterface', path: '/otherPath' },
    ],
  })
  assert.deepEqual(decodePurgeProperties(EMPTY, zlibInflater), { ok: true, value: [] })
})

test('the header is skipped, not checked; the header alone is the empty list', () => {
  const littleEndian = VECTOR.slice()
  littleEndian.set([0x46, 0, 0, 0], 0)
  assert.deepEqual(
    decodePurgeProperties(littleEndian, zlibInflater),
    decodePurgeProperties(VECTOR, zlibInflater),
  )
  assert.deepEqual(decodePurgeProperties(hex('00 00 00 00'), zlibInflater), { ok: true, value: [] })
})

test('a non-zero header alone is a truncated payload, not the empty list (spec §3.6)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (header) => {
      fc.pre(header.some((b) => b !== 0))
      const r = decodePurgeProperties(header, zlibInflater)
      assert.deepEqual(r.ok ? 'ok' : r.error.map((i) => i.code), ['purge_inflate'])
    }),
    fcOptions,
  )
})

test('plaintext format has no header and no compression', () => {
  const bytes = encodePurgeProperties(TEXT.split(';'), zlibInflater, 'plaintext')
  assert.equal(String.fromCharCode(...bytes), TEXT)
  const decoded = decodePurgeProperties(bytes, zlibInflater, 'plaintext')
  assert.ok(decoded.ok)
  assert.equal(decoded.value.length, 2)
  assert.deepEqual(decodePurgeProperties(new Uint8Array(0), zlibInflater, 'plaintext'), {
    ok: true,
    value: [],
  })
})

test('bad payloads are issues, never throws', () => {
  const codeOf = (payload: Uint8Array): string | undefined => {
    const r = decodePurgeProperties(payload, zlibInflater)
    return r.ok ? undefined : r.error[0]?.code
  }
  assert.equal(codeOf(hex('00 00 00')), 'purge_header')
  assert.equal(codeOf(hex('00 00 00 05 01 02 03')), 'purge_inflate')
  const badUtf8 = new Uint8Array([0, 0, 0, 3, ...deflateSync(Buffer.from([0x61, 0x2f, 0xff]))])
  assert.equal(codeOf(badUtf8), 'purge_utf8')
})

test('entries that are not <interface>/<path> are skipped, the others kept, as DUP parses the list (spec §3.6)', () => {
  const text = 'a.B/x;junk;;c.D/y/z;/nointerface;'
  const skipped: Array<[string, number]> = []
  const zlib = new Uint8Array([0, 0, 0, text.length, ...deflateSync(text)])
  for (const [payload, format] of [
    [zlib, 'zlib'],
    [new Uint8Array(Buffer.from(text)), 'plaintext'],
  ] as const) {
    skipped.length = 0
    const r = decodePurgeProperties(payload, zlibInflater, format, (entry, index) =>
      skipped.push([entry, index]),
    )
    assert.deepEqual(r, {
      ok: true,
      value: [
        { interfaceName: 'a.B', path: '/x' },
        { interfaceName: 'c.D', path: '/y/z' },
      ],
    })
    assert.deepEqual(skipped, [
      ['junk', 1],
      ['', 2],
      ['/nointerface', 4],
      ['', 5],
    ])
  }
  const onlyJunk = new Uint8Array([0, 0, 0, 5, ...deflateSync('abcde')])
  assert.deepEqual(decodePurgeProperties(onlyJunk, zlibInflater), { ok: true, value: [] })
})

test('inflating beyond the 10 485 760-byte cap is refused', () => {
  const bomb = new Uint8Array([
    0,
    0,
    0,
    0,
    ...deflateSync(Buffer.alloc(PURGE_INFLATE_LIMIT + 1, 0x61)),
  ])
  const r = decodePurgeProperties(bomb, zlibInflater)
  assert.equal(r.ok, false)
  // one entry `a.B/aaa…` of `length` bytes, zlib
  const entryOf = (length: number): Uint8Array => {
    const text = Buffer.alloc(length, 0x61)
    text.write('a.B/', 0)
    return new Uint8Array([0, 0, 0, 0, ...deflateSync(text)])
  }
  // DUP's safe_inflate keeps the text only while it is under the cap (`< 10_485_760`)
  const atCap = decodePurgeProperties(entryOf(PURGE_INFLATE_LIMIT), zlibInflater)
  assert.equal(atCap.ok, false, 'exactly the cap is refused')
  const underCap = decodePurgeProperties(entryOf(PURGE_INFLATE_LIMIT - 1), zlibInflater)
  assert.ok(underCap.ok)
  assert.equal(underCap.value[0]?.path.length, PURGE_INFLATE_LIMIT - 1 - 'a.B'.length)
})

test('decode(encode(entries)) gives back the entries, in both formats', () => {
  const formats = fc.constantFrom('zlib' as const, 'plaintext' as const)
  const entry = fc.record({
    interfaceName: fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9.]*$/),
    path: fc.stringMatching(/^(\/[^;/]+)+$/),
  })
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 10 }), formats, (generated, format) => {
      const entries = generated.map((e) => ({ ...e }))
      const payload = encodePurgeProperties(
        entries.map((e) => `${e.interfaceName}${e.path}`),
        zlibInflater,
        format,
      )
      assert.deepEqual(decodePurgeProperties(payload, zlibInflater, format), {
        ok: true,
        value: entries,
      })
    }),
    { ...fcOptions, numRuns: Math.ceil(fcOptions.numRuns / 10) },
  )
})
