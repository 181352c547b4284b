/**
 * @module json object reader: typed reads of one JSON object's fields. A wrong JSON type is
 * recorded as a `field_type` issue and read as absent, so one bad field never hides the others.
 */
import type { Issue } from '../errors.js'
import { issue, pointer, quote } from './issue.js'
import { isObject, kindOf } from '../kind.js'

/** Reads the fields of one JSON object found at `base` (a JSON Pointer), collecting issues. */
export class JsonObject {
  constructor(
    private readonly fields: Readonly<Record<string, unknown>>,
    private readonly base: string,
    private readonly issues: Issue[],
  ) {}

  /** Wraps `value` when it is a JSON object; records `field_type` at `base` otherwise. */
  static from(value: unknown, base: string, what: string, issues: Issue[]): JsonObject | undefined {
    if (isObject(value)) {
      return new JsonObject(value, base, issues)
    }
    issues.push(issue('field_type', base, `${what} must be a json object, not ${kindOf(value)}`))
    return undefined
  }

  /** JSON Pointer of a field of this object. */
  at(key: string | number): string {
    return this.base + pointer(key)
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.fields, key)
  }

  report(issueToAdd: Issue): void {
    this.issues.push(issueToAdd)
  }

  /** Records `missing_field` unless `key` is present; returns whether it is. */
  require(key: string): boolean {
    if (this.has(key)) return true
    this.report(issue('missing_field', this.at(key), `required field ${key} is missing`))
    return false
  }

  string(key: string): string | undefined {
    return this.typed(key, 'a string', (v): v is string => typeof v === 'string')
  }

  boolean(key: string): boolean | undefined {
    return this.typed(key, 'a boolean', (v): v is boolean => typeof v === 'boolean')
  }

  array(key: string): readonly unknown[] | undefined {
    return this.typed(key, 'an array', (v): v is readonly unknown[] => Array.isArray(v))
  }

  /** A safe integer; a fractional or huge number is `not_integer`, a non-number `field_type`. */
  integer(key: string): number | undefined {
    const value = this.typed(key, 'an integer', (v): v is number => typeof v === 'number')
    if (value === undefined || Number.isSafeInteger(value)) return value
    const message = `${key} must be an integer, not ${quote(value)}`
    this.report(issue('not_integer', this.at(key), message))
    return undefined
  }

  /** One of `allowed` (spec §1.3-C: exact lower-case strings); anything else is `enum_value`. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key)
    if (value === undefined) return undefined
    const found = allowed.find((a) => a === value)
    if (found === undefined) {
      const message = `${key} must be one of ${allowed.join(', ')}, not ${quote(value)}`
      this.report(issue('enum_value', this.at(key), message))
    }
    return found
  }

  private typed<T>(key: string, expected: string, is: (v: unknown) => v is T): T | undefined {
    if (!this.has(key)) return undefined
    const value = this.fields[key]
    if (is(value)) return value
    this.report(
      issue('field_type', this.at(key), `${key} must be ${expected}, not ${kindOf(value)}`),
    )
    return undefined
  }
}
