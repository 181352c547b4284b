/**
 * @module bench bson rows: sdk-core's BSON codec against the `bson` package on Astarte-shaped
 * payloads (spec §2.2), encode and decode, inputs built once so only the codecs are timed.
 */
import { decodeBson, encodeBson, type BsonDocument, type BsonValue } from '@astarte-ts/sdk-core'
import { BSON, Double } from 'bson'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { interleave, pairedRatio, repeat } from '../rounds.js'

interface Shape {
  readonly id: string
  readonly title: string
  readonly ours: BsonDocument
  /** The same document for `bson.serialize`, typed so it emits the same bytes (spec §2.5). */
  readonly theirs: Record<string, unknown>
}

const T = 1537449422890
const doubles64 = Array.from({ length: 64 }, (_, i) => 20 + i / 7)

const v = (value: BsonValue): BsonDocument => new Map([['v', value]])

const shapes: readonly Shape[] = [
  {
    id: 'double-t',
    title: 'individual double with t',
    ours: new Map<string, BsonValue>([
      ['v', { type: 'double', value: 16.73 }],
      ['t', { type: 'datetime', value: BigInt(T) }],
    ]),
    theirs: { v: new Double(16.73), t: new Date(T) },
  },
  {
    id: 'longinteger',
    title: 'longinteger',
    ours: v({ type: 'int64', value: 45543543534n }),
    theirs: { v: 45543543534n },
  },
  {
    id: 'string',
    title: 'string',
    ours: v({ type: 'string', value: 'kitchen: window open, heating paused' }),
    theirs: { v: 'kitchen: window open, heating paused' },
  },
  {
    id: 'object-4',
    title: 'object of 4 doubles',
    ours: v({
      type: 'document',
      value: new Map<string, BsonValue>(
        ['hum', 'temp', 'press', 'co2'].map((k, i) => [k, { type: 'double', value: 10.5 + i }]),
      ),
    }),
    theirs: {
      v: Object.fromEntries(
        ['hum', 'temp', 'press', 'co2'].map((k, i) => [k, new Double(10.5 + i)]),
      ),
    },
  },
  {
    id: 'doublearray-64',
    title: 'doublearray of 64',
    ours: v({ type: 'array', value: doubles64.map((value) => ({ type: 'double', value })) }),
    theirs: { v: doubles64.map((d) => new Double(d)) },
  },
]

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

async function measureEncode(ctx: BenchContext, shape: Shape): Promise<Measurement> {
  if (!sameBytes(encodeBson(shape.ours), BSON.serialize(shape.theirs))) {
    throw new Error(`couldn't compare: the codecs disagree on ${shape.id}`)
  }
  const n = ctx.count(200_000, 20_000)
  const result = await interleave(
    [
      { name: 'sdk-core', trial: repeat(n, () => encodeBson(shape.ours)) },
      { name: 'bson', trial: repeat(n, () => BSON.serialize(shape.theirs)) },
    ],
    ctx.rounds,
  )
  return summary(result.medians, result.rounds, n)
}

async function measureDecode(ctx: BenchContext, shape: Shape): Promise<Measurement> {
  const bytes = encodeBson(shape.ours)
  const options = { useBigInt64: true }
  const n = ctx.count(200_000, 20_000)
  const result = await interleave(
    [
      { name: 'sdk-core', trial: repeat(n, () => decodeBson(bytes)) },
      { name: 'bson', trial: repeat(n, () => BSON.deserialize(bytes, options)) },
    ],
    ctx.rounds,
  )
  return summary(result.medians, result.rounds, n)
}

function summary(
  medians: readonly number[],
  rounds: readonly (readonly number[])[],
  perTrial: number,
): Measurement {
  return {
    measured: medians[0] ?? NaN,
    reference: { name: 'bson', measured: medians[1] ?? NaN },
    ratio: pairedRatio(rounds[0] ?? [], rounds[1] ?? []),
    details: { opsPerTrial: perTrial, rounds },
  }
}

export const bsonRows: readonly RowSpec[] = shapes.flatMap((shape) => [
  {
    id: `bson.encode.${shape.id}`,
    title: `BSON encode: ${shape.title}`,
    unit: 'ops/s',
    goal: { op: '>=', value: 1.0, on: 'ratio' },
    measure: (ctx) => measureEncode(ctx, shape),
  },
  {
    id: `bson.decode.${shape.id}`,
    title: `BSON decode: ${shape.title}`,
    unit: 'ops/s',
    goal: { op: '>=', value: 1.0, on: 'ratio' },
    measure: (ctx) => measureDecode(ctx, shape),
  },
])
