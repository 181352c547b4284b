/** fast-check arbitraries for the tagged BSON model and for mutated wire documents. */
import fc from 'fast-check'
import { encodeBson, type BsonDocument, type BsonValue } from '@astarte-ts/sdk-core'

const DATE_LIMIT = 8_640_000_000_000_000

/** Keys: any string without NUL, avoiding `__proto__` (js-bson's Map handling is fine, but keep it plain). */
export const arbKey = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((k) => !k.includes('\0'))

export const arbBsonValue: fc.Arbitrary<BsonValue> = fc.letrec<{
  value: BsonValue
  doc: BsonDocument
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double().map((value) => ({ type: 'double' as const, value })),
    fc
      .string({ unit: 'grapheme', maxLength: 20 })
      .map((value) => ({ type: 'string' as const, value })),
    fc.integer().map((value) => ({ type: 'int32' as const, value })),
    fc
      .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
      .map((value) => ({ type: 'int64' as const, value })),
    fc.boolean().map((value) => ({ type: 'boolean' as const, value })),
    fc.integer({ min: -DATE_LIMIT, max: DATE_LIMIT }).map((ms) => ({
      type: 'datetime' as const,
      value: BigInt(ms),
    })),
    fc.constant({ type: 'null' as const }),
    fc
      .tuple(
        fc.uint8Array({ maxLength: 16 }),
        fc.integer({ min: 0, max: 255 }).filter((s) => s !== 2),
      )
      .map(([value, subtype]) => ({ type: 'binary' as const, value, subtype })),
    tie('doc').map((value) => ({ type: 'document' as const, value })),
    fc.array(tie('value'), { maxLength: 4 }).map((value) => ({ type: 'array' as const, value })),
  ),
  doc: fc
    .uniqueArray(fc.tuple(arbKey, tie('value')), { maxLength: 4, selector: ([k]) => k })
    .map((entries) => new Map(entries)),
})).value

export const arbBsonDocument: fc.Arbitrary<BsonDocument> = fc
  .uniqueArray(fc.tuple(arbKey, arbBsonValue), { maxLength: 5, selector: ([k]) => k })
  .map((entries) => new Map(entries))

/** Valid documents damaged by bit flips, truncation, extension or a byte overwrite. */
export const arbMutatedBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    arbBsonDocument.map(encodeBson),
    fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
        fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.nat(255) }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
        fc.record({
          kind: fc.constant('extend' as const),
          extra: fc.uint8Array({ minLength: 1, maxLength: 4 }),
        }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([bytes, mutations]) => {
    // a copy: fast-check hands the same source bytes to every shrink of this value
    let b = bytes.slice()
    for (const m of mutations) {
      if (m.kind === 'extend') {
        const next = new Uint8Array(b.length + m.extra.length)
        next.set(b)
        next.set(m.extra, b.length)
        b = next
      } else if (b.length > 0) {
        const at = m.at % b.length
        if (m.kind === 'truncate') b = b.slice(0, at)
        else if (m.kind === 'flip') b[at] = (b[at] as number) ^ (1 << m.bit)
        else b[at] = m.byte
      }
    }
    return b
  })
