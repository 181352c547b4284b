import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import fc from 'fast-check'
import { SdkError } from '@astarte-ts/sdk-core'
import {
  type CborValue,
  Float64,
  FrameReceiver,
  type Message,
  cobsDecode,
  cobsEncode,
  crc16,
  decodeCbor,
  decodeMessage,
  encodeCbor,
  encodeMessage,
  encodeWire,
  fromHex,
  messageFromJson,
  toHex,
} from '../src/index.js'

const vectorsDir = new URL('../vectors/', import.meta.url)
const frames = JSON.parse(readFileSync(new URL('frames.json', vectorsDir), 'utf8')) as {
  name: string
  message: unknown
  frame: string
  wire: string
}[]
const bad = JSON.parse(readFileSync(new URL('bad-frames.json', vectorsDir), 'utf8')) as {
  name: string
  wire: string
  error: string
}[]
const cobs = JSON.parse(readFileSync(new URL('cobs.json', vectorsDir), 'utf8')) as {
  crc: { ascii: string; crc: string }[]
  cobs: { raw: string; encoded: string }[]
}

/** Float64 wrappers become plain numbers: what a decoder gives back. */
function plain(v: unknown): unknown {
  if (v instanceof Float64) return v.value
  if (v instanceof Uint8Array) return v
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, plain(x)]))
  if (Array.isArray(v)) return v.map(plain)
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

test('golden frames: the codec writes every vector byte for byte and reads it back', () => {
  assert.ok(frames.length >= 15)
  for (const v of frames) {
    const m = messageFromJson(v.message)
    assert.equal(toHex(encodeMessage(m)), v.frame, v.name)
    assert.equal(toHex(encodeWire(m)), v.wire, v.name)
    const got = new FrameReceiver(1024).push(fromHex(v.wire))
    assert.equal(got.length, 1, v.name)
    const r = got[0]!
    assert.ok(r.ok, `${v.name}: ${r.ok ? '' : r.error.message}`)
    assert.deepEqual(r.message, plain(m), v.name)
  }
})

test('golden bad frames: each is refused with its error kind, and the next frame still decodes', () => {
  const next = encodeWire({ type: 'ack', seq: 7 })
  for (const v of bad) {
    const rx = new FrameReceiver(1024)
    const got = [...rx.push(fromHex(v.wire)), ...rx.push(next)]
    assert.equal(got.length, 2, v.name)
    const [first, second] = got
    assert.ok(
      first && !first.ok && first.error.code === `remote.frame_${v.error}`,
      `${v.name}: ${first?.ok ? 'decoded' : first?.error.code}`,
    )
    assert.deepEqual(second, { ok: true, message: { type: 'ack', seq: 7 }, frameLength: 4 })
  }
})

test('golden CRC and COBS cases', () => {
  for (const c of cobs.crc)
    assert.equal(crc16(new TextEncoder().encode(c.ascii)).toString(16).padStart(4, '0'), c.crc)
  for (const c of cobs.cobs) {
    assert.equal(toHex(cobsEncode(fromHex(c.raw))), c.encoded)
    assert.equal(toHex(cobsDecode(fromHex(c.encoded))), c.raw)
  }
})

test('COBS: round trip, no zero in the output, overhead as specified', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1200 }), (data) => {
      const e = cobsEncode(data)
      assert.ok(!e.includes(0))
      assert.ok(e.length <= data.length + Math.ceil(data.length / 254) + 1)
      assert.deepEqual(cobsDecode(e), data)
    }),
  )
})

test('CRC: any single-bit or double-bit error in a frame up to 1024 bytes is detected', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 1020 }),
      fc.nat(),
      fc.nat(),
      (data, a, b) => {
        const bits = data.length * 8
        const i = a % bits
        const j = b % bits
        const c = Uint8Array.from(data)
        const flip = (bit: number): void => {
          c[bit >> 3] = c[bit >> 3]! ^ (1 << (bit & 7))
        }
        flip(i)
        if (j !== i) flip(j)
        assert.notEqual(crc16(c), crc16(data))
      },
    ),
  )
})

const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc
      .bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n })
      .filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)),
    fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.nat(1000), tie('v')), { selector: (e) => e[0], maxLength: 4 })
      .map((e) => new Map(e)),
  ),
})).v

test('CBOR: what we write cbor-x reads back equal, in preferred serialisation', () => {
  fc.assert(
    fc.property(cborValue, (v) => {
      const bytes = encodeCbor(v)
      assert.deepEqual(decodeCbor(bytes), v)
      assert.deepEqual(encodeCbor(decodeCbor(bytes)), bytes)
    }),
  )
  assert.equal(toHex(encodeCbor(4294967296)), '1b0000000100000000')
  assert.equal(toHex(encodeCbor(-0)), 'fb8000000000000000')
  assert.equal(toHex(encodeCbor(new Float64(1))), 'fb3ff0000000000000')
})

const target = fc.record(
  { mapping: fc.nat(0xffff), params: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }) },
  { noNullPrototype: true },
)
const seq = fc.nat(255)
const scalar: fc.Arbitrary<CborValue> = fc.oneof(
  fc.maxSafeInteger(),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
)
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('ack' as const), seq }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('ping' as const), token: seq }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('pong' as const), token: seq }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('time' as const), time: fc.nat() }, { noNullPrototype: true }),
  fc.record(
    {
      type: fc.constant('nack' as const),
      seq,
      reason: fc.nat(255),
      detail: fc.string({ maxLength: 100 }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    { type: fc.constant('set' as const), seq, target, value: scalar },
    { noNullPrototype: true },
  ),
  fc.record({ type: fc.constant('unset' as const), seq, target }, { noNullPrototype: true }),
  fc.record(
    { type: fc.constant('serverData' as const), seq, target, value: scalar },
    { noNullPrototype: true },
  ),
  fc
    .tuple(
      seq,
      fc.option(fc.nat(), { nil: null }),
      fc.array(fc.tuple(target, scalar, fc.integer({ min: -100000, max: 100000 })), {
        minLength: 1,
        maxLength: 10,
      }),
    )
    .map(([s, t0, samples]): Message => ({
      type: 'send',
      seq: s,
      t0,
      samples: samples.map(([t, value, dt]) =>
        t0 === null ? { target: t, value } : { target: t, value, dt },
      ),
    })),
  fc
    .record(
      {
        token: seq,
        bootCounter: fc.nat(0xffffffff),
        identity: fc.string({ maxLength: 30 }),
        interfaces: fc.array(fc.string({ maxLength: 60 }), { maxLength: 5 }),
        maxFrame: fc.integer({ min: 64, max: 4096 }),
        window: fc.integer({ min: 1, max: 4 }),
        txSeq: seq,
        rxSeq: seq,
      },
      { noNullPrototype: true },
    )
    .map((h): Message => ({ type: 'hello', version: 1, ...h })),
)

test('messages: encode then decode is the identity, through the streaming receiver in random chunks', () => {
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }),
      (ms, cuts) => {
        const wire = Buffer.concat(ms.map((m) => encodeWire(m)))
        const rx = new FrameReceiver(8192)
        const got: Message[] = []
        let at = 0
        for (let k = 0; at < wire.length; k++) {
          const n = cuts[k % cuts.length]!
          for (const r of rx.push(wire.subarray(at, at + n))) {
            assert.ok(r.ok, r.ok ? '' : r.error.message)
            got.push(r.message)
          }
          at += n
        }
        assert.deepEqual(got, ms)
      },
    ),
  )
})

test('fuzz: 100 000 random and mutated frames give messages or typed errors, and the receiver recovers', () => {
  const seeds = frames.map((v) => fromHex(v.frame))
  let state = 0x2545f491
  const rand = (n: number): number => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % n
  }
  const rx = new FrameReceiver(1024)
  let decoded = 0
  let refused = 0
  for (let i = 0; i < 100_000; i++) {
    let f: Uint8Array
    if (i % 4 === 0) f = Uint8Array.from({ length: rand(64) }, () => rand(256))
    else {
      f = Uint8Array.from(seeds[rand(seeds.length)]!)
      const edits = 1 + rand(3)
      for (let k = 0; k < edits; k++) {
        const what = rand(3)
        if (what === 0 && f.length > 0) f[rand(f.length)] = rand(256)
        else if (what === 1) f = f.subarray(0, rand(f.length + 1))
        else if (f.length > 0) {
          const at = rand(f.length)
          f[at] = f[at]! ^ (1 << rand(8))
        }
      }
      // Half the mutated frames get a valid CRC so the CBOR and shape checks are reached.
      if (i % 2 === 1 && f.length >= 4) {
        const c = crc16(f, f.length - 2)
        f[f.length - 2] = c >> 8
        f[f.length - 1] = c & 0xff
      }
    }
    const wire = i % 3 === 0 ? f : cobsEncode(f)
    for (const r of rx.push(Uint8Array.from([...wire, 0]))) {
      if (r.ok) decoded++
      else {
        assert.ok(
          r.error instanceof SdkError && r.error.code.startsWith('remote.frame_'),
          String(r.error),
        )
        refused++
      }
    }
  }
  assert.ok(decoded > 1000 && refused > 50_000, `decoded ${decoded}, refused ${refused}`)
  assert.deepEqual(rx.push(encodeWire({ type: 'pong', token: 1 })), [
    { ok: true, message: { type: 'pong', token: 1 }, frameLength: 4 },
  ])
})
