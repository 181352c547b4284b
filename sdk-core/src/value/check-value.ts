/**
 * @module value check: is a JS value acceptable for an Astarte type (spec §2.3)? Pure; never
 * throws for any input. Limits follow Core's `value_type.ex`, quirks included.
 */
import { err, ok, type Issue, type Result } from '../errors.js'
import { hasLoneSurrogate, utf8Length } from '../bson/utf8.js'
import { inLongIntegerRange, isInt64 } from '../bson/int64.js'
import type { AstarteType } from '../interface/model.js'
import type { AstarteValue } from './types.js'
import { scalarOf } from './bson-write.js'
import { anyIssue } from '../interface/issue.js'
import { kindOf } from '../kind.js'

/** Largest string (UTF-8 bytes) and binaryblob (bytes) Core accepts. */
export const MAX_VALUE_BYTES = 65536
/** Largest array Core accepts. */
export const MAX_ARRAY_LENGTH = 1024
/** spec §2.3 [quirk]: Core checks `abs(v) ≤ 2³¹−1`, so −2³¹ is refused. */
export const INTEGER_LIMIT = 0x7fffffff

/**
 * What is wrong with a value, before it is placed: callers add the path only on failure, so the
 * success path builds no strings. Never confused with a value (no Astarte value is one).
 */
export class ValueProblem {
  constructor(
    readonly code: 'unexpected_value_type' | 'value_size_exceeded',
    readonly message: string,
  ) {}

  /** This problem found at `path`. */
  at(path: string): Issue {
    return anyIssue(this.code, path, this.message)
  }
}

const typeProblem = (message: string): ValueProblem =>
  new ValueProblem('unexpected_value_type', message)
const sizeProblem = (message: string): ValueProblem =>
  new ValueProblem('value_size_exceeded', message)

/** Checks one value of the scalar `type`; returns the problem or `undefined` when it fits. */
function checkScalar(type: AstarteType, value: unknown): ValueProblem | undefined {
  switch (type) {
    case 'double':
      if (typeof value !== 'number') {
        return typeProblem(`expected a double, got ${kindOf(value)}`)
      }
      return Number.isFinite(value) ? undefined : typeProblem(`double ${value} is not finite`)
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        return typeProblem(`expected an integer, got ${kindOf(value)}`)
      }
      return Math.abs(value) <= INTEGER_LIMIT
        ? undefined
        : typeProblem(`integer ${value} is outside ±${INTEGER_LIMIT}`)
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : typeProblem(`expected a boolean, got ${kindOf(value)}`)
    case 'longinteger':
      if (isInt64(value)) {
        return inLongIntegerRange(value)
          ? undefined
          : typeProblem(`longinteger ${value} is outside ±(2^63-1)`)
      }
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? undefined
        : typeProblem(`expected a bigint or safe integer, got ${kindOf(value)}`)
    case 'string':
      if (typeof value !== 'string') {
        return typeProblem(`expected a string, got ${kindOf(value)}`)
      }
      if (hasLoneSurrogate(value)) return typeProblem('string has a lone surrogate')
      return value.length <= MAX_VALUE_BYTES / 3 || utf8Length(value) <= MAX_VALUE_BYTES
        ? undefined
        : sizeProblem(`string exceeds ${MAX_VALUE_BYTES} utf-8 bytes`)
    case 'binaryblob':
      if (!(value instanceof Uint8Array)) {
        return typeProblem(`expected a Uint8Array, got ${kindOf(value)}`)
      }
      return value.length <= MAX_VALUE_BYTES
        ? undefined
        : sizeProblem(`binaryblob exceeds ${MAX_VALUE_BYTES} bytes`)
    case 'datetime':
      if (!(value instanceof Date)) {
        return typeProblem(`expected a Date, got ${kindOf(value)}`)
      }
      return Number.isNaN(value.getTime()) ? typeProblem('date is invalid') : undefined
  }
}

/**
 * Checks `value` against `type`: the value to keep, or what is wrong with it. Arrays are copied
 * so later mutation by the caller cannot change a validated value; scalars are returned as given.
 */
export function checkedValue(type: AstarteType, value: unknown): AstarteValue | ValueProblem {
  const scalar = scalarOf[type]
  if (scalar === type) return checkScalar(type, value) ?? (value as AstarteValue)
  if (!Array.isArray(value)) return typeProblem(`expected ${type}, got ${kindOf(value)}`)
  if (value.length > MAX_ARRAY_LENGTH) {
    return sizeProblem(`array has ${value.length} elements, more than ${MAX_ARRAY_LENGTH}`)
  }
  const copy: unknown[] = []
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i]
    const found = checkScalar(scalar, item)
    if (found !== undefined) return new ValueProblem(found.code, `element ${i}: ${found.message}`)
    copy.push(item)
  }
  return copy as AstarteValue
}

/** Checks `value` against `type` at `path` (see `checkedValue`). */
export function checkValue(type: AstarteType, value: unknown, path: string): Result<AstarteValue> {
  const checked = checkedValue(type, value)
  return checked instanceof ValueProblem ? err([checked.at(path)]) : ok(checked)
}
