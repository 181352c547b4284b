/**
 * @module bson → astarte value: reads one element's value straight into the JS form of a mapping
 * type, accepting what DUP accepts (spec §2.3 "accepts"/"expect" columns). A wrong BSON type is
 * still read through (so malformed bytes are always reported as undecodable first) and comes back
 * as a `Mismatch`; malformed bytes throw `SdkError('remote.undecodable_bson')` from the reader.
 */
import type { Issue } from '../errors.js'
import { BsonType as BsonTypeBinding } from '../bson/model.js'
import type { BsonReader } from '../bson/reader.js'
import type { AstarteType } from '../interface/model.js'
import { scalarOf as scalarOfBinding } from './bson-write.js'
import { inLongIntegerRange, int64FromInt32, int64ToNumber, type Int64 } from '../bson/int64.js'
import { INTEGER_LIMIT, MAX_ARRAY_LENGTH, MAX_VALUE_BYTES } from './check-value.js'
import type { AstarteValue } from './types.js'
import { issue, keyPath } from './rules.js'

// Hot-path aliases: under tsx's CommonJS interop each use of an imported binding is a getter call.
const BsonType = BsonTypeBinding
const scalarOf = scalarOfBinding

/** A value that doesn't fit its mapping: the reason, as an issue. */
export class Mismatch {
  constructor(readonly issue: Issue) {}
}

/** Who sent the payload; DUP (device-to-server) is laxer for datetimes. */
export type Direction = 'device-to-server' | 'server-to-device'

/**
 * Where a value is read, for issues: the Astarte path, plus the object key being read (set in
 * place per key, so reading an object allocates no path strings unless something is wrong).
 */
export interface ReadContext {
  readonly path: string
  key: string | undefined
  readonly direction: Direction
}

/** The Astarte path an issue refers to: `/prefix/key` inside an object. */
export const issuePath = (at: ReadContext): string =>
  at.key === undefined ? at.path : keyPath(at.path, at.key)

/** `Date`'s range (ECMA-262 time values). */
const MAX_TIME = 8.64e15

const mismatch = (path: string, message: string): Mismatch =>
  new Mismatch(issue('unexpected_value_type', path, message))

const tooLarge = (at: ReadContext, message: string): Mismatch =>
  new Mismatch(issue('value_size_exceeded', issuePath(at), message))

const bsonName = (t: number): string => `bson type 0x${t.toString(16).padStart(2, '0')}`

/** A Date for int64 milliseconds, or `undefined` outside `Date`'s range. */
export function dateFromMs(ms: Int64 | number): Date | undefined {
  const n = typeof ms === 'number' ? ms : int64ToNumber(ms)
  return n >= -MAX_TIME && n <= MAX_TIME ? new Date(n) : undefined
}

/** A binaryblob's subtype must be 0x00–0x06 or 0x80–0xFE (spec §2.3). */
const acceptedSubtype = (s: number): boolean => s <= 0x06 || (s >= 0x80 && s <= 0xfe)

function readScalar(
  r: BsonReader,
  bson: number,
  type: AstarteType,
  last: number,
  depth: number,
  at: ReadContext,
): unknown {
  const direction = at.direction
  switch (type) {
    case 'double': {
      const n =
        bson === BsonType.double
          ? r.double(last)
          : bson === BsonType.int32
            ? r.int32(last)
            : bson === BsonType.int64
              ? int64ToNumber(r.int64(last))
              : undefined
      if (n === undefined) break
      return Number.isFinite(n) ? n : mismatch(issuePath(at), `double ${n} is not finite`)
    }
    case 'integer': {
      const n =
        bson === BsonType.int32
          ? r.int32(last)
          : bson === BsonType.int64
            ? (r.int64Number(last) ?? Infinity)
            : undefined
      if (n === undefined) break
      return Math.abs(n) <= INTEGER_LIMIT
        ? n
        : mismatch(issuePath(at), 'integer is outside ±(2^31-1)')
    }
    case 'boolean':
      if (bson === BsonType.boolean) return r.boolean(last)
      break
    case 'longinteger': {
      if (bson === BsonType.int32) return int64FromInt32(r.int32(last))
      if (bson !== BsonType.int64) break
      const n = r.int64(last)
      return inLongIntegerRange(n)
        ? n
        : mismatch(issuePath(at), 'longinteger -2^63 is outside ±(2^63-1)')
    }
    case 'string': {
      if (bson !== BsonType.string) break
      const start = r.pos
      const s = r.string(last)
      // Byte length = what the reader consumed minus the length prefix and NUL.
      return r.pos - start - 5 <= MAX_VALUE_BYTES
        ? s
        : tooLarge(at, `string exceeds ${MAX_VALUE_BYTES} bytes`)
    }
    case 'binaryblob': {
      if (bson !== BsonType.binary) break
      const { data, subtype } = r.binary(last)
      if (!acceptedSubtype(subtype)) {
        return mismatch(issuePath(at), `binary subtype 0x${subtype.toString(16)} is not accepted`)
      }
      return data.length <= MAX_VALUE_BYTES
        ? data
        : tooLarge(at, `binaryblob exceeds ${MAX_VALUE_BYTES} bytes`)
    }
    case 'datetime': {
      const ms =
        bson === BsonType.datetime
          ? r.int64(last)
          : direction === 'server-to-device'
            ? undefined
            : bson === BsonType.int64
              ? r.int64(last)
              : bson === BsonType.int32
                ? r.int32(last)
                : undefined
      if (ms === undefined) break
      return dateFromMs(ms) ?? mismatch(issuePath(at), 'datetime is outside the Date range')
    }
    default:
      break
  }
  r.value(bson, last, depth)
  return mismatch(issuePath(at), `expected ${type}, got ${bsonName(bson)}`)
}

/**
 * Reads the value at `r.pos` (element type `bson`, enclosing document ending at `last`) as
 * `type`. Returns the value or a `Mismatch`.
 */
export function readAstarteValue(
  r: BsonReader,
  bson: number,
  type: AstarteType,
  last: number,
  depth: number,
  at: ReadContext,
): AstarteValue | Mismatch {
  const scalar = scalarOf[type]
  if (scalar === type) return readScalar(r, bson, type, last, depth, at) as AstarteValue | Mismatch
  if (bson !== BsonType.array) {
    r.value(bson, last, depth)
    return mismatch(issuePath(at), `expected ${type}, got ${bsonName(bson)}`)
  }
  const end = r.openDocument(last, depth + 1)
  const items: unknown[] = []
  let failed: Mismatch | undefined
  for (let t = r.nextType(end); t !== 0; t = r.nextType(end)) {
    r.arrayKey(end, items.length)
    const item = readScalar(r, t, scalar, end, depth + 1, at)
    if (item instanceof Mismatch) {
      const message = `element ${items.length}: ${item.issue.message}`
      failed ??= new Mismatch({ ...item.issue, message })
    }
    items.push(item)
  }
  if (failed !== undefined) return failed
  if (items.length > MAX_ARRAY_LENGTH) {
    return tooLarge(at, `array has more than ${MAX_ARRAY_LENGTH} elements`)
  }
  return items as AstarteValue
}
