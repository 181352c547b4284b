/**
 * fast-check arbitraries of Astarte values per type, each paired with the js-bson value that
 * must serialize to the same bytes and with the value decoding must give back.
 */
import fc from 'fast-check'
import { Binary, Double, Int32, Long } from 'bson'
import type { AstarteType, AstarteValue } from '@astarte-ts/sdk-core'

/** A value to validate, its js-bson twin, and what `decodePayload` returns for it. */
export interface Sample {
  readonly value: AstarteValue
  readonly jsBson: unknown
  readonly decoded: AstarteValue
}

const LONG_LIMIT = 2n ** 63n - 1n
const LONE_SURROGATE = /[\ud800-\udfff]/

type Scalar = { value: unknown; jsBson: unknown; decoded: unknown }

const scalars: Record<string, fc.Arbitrary<Scalar>> = {
  double: fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((v) => ({ value: v, jsBson: new Double(v), decoded: v })),
  integer: fc
    .integer({ min: -0x7fffffff, max: 0x7fffffff })
    .map((v) => ({ value: v, jsBson: new Int32(v), decoded: v })),
  boolean: fc.boolean().map((v) => ({ value: v, jsBson: v, decoded: v })),
  longinteger: fc
    .oneof(fc.bigInt({ min: -LONG_LIMIT, max: LONG_LIMIT }), fc.maxSafeInteger())
    .map((v) => ({ value: v, jsBson: Long.fromBigInt(BigInt(v)), decoded: BigInt(v) })),
  string: fc
    .string({ unit: 'binary', maxLength: 24 })
    .filter((s) => !LONE_SURROGATE.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')))
    .map((v) => ({ value: v, jsBson: v, decoded: v })),
  binaryblob: fc
    .uint8Array({ maxLength: 24 })
    .map((v) => ({ value: v, jsBson: new Binary(v, 0), decoded: v })),
  datetime: fc.date({ noInvalidDate: true }).map((v) => ({ value: v, jsBson: v, decoded: v })),
}

/** A sample of Astarte type `type` (arrays of up to 6 elements, empty included). */
export function arbSample(type: AstarteType): fc.Arbitrary<Sample> {
  const scalar = scalars[type]
  if (scalar !== undefined) return scalar as fc.Arbitrary<Sample>
  const element = scalars[type.slice(0, -'array'.length)] as fc.Arbitrary<Scalar>
  return fc.array(element, { maxLength: 6 }).map((items) => ({
    value: items.map((i) => i.value) as AstarteValue,
    jsBson: items.map((i) => i.jsBson),
    decoded: items.map((i) => i.decoded) as AstarteValue,
  }))
}

export const arbTimestamp = fc.date({ noInvalidDate: true })
