/**
 * @module json forms: Astarte values ⇄ AppEngine JSON (spec §5): longinteger as a decimal string
 * (number accepted), binaryblob as standard base64, datetime as ISO 8601 (ms integer accepted),
 * doubles accepted from JSON integers. Reading checks the same limits as the validators.
 */
import { err, type Issue, type Result } from '../errors.js'
import type { AstarteType } from '../interface/model.js'
import { base64Decode, base64Encode } from './base64.js'
import { scalarOf } from './bson-write.js'
import { checkValue } from './check-value.js'
import { parseIsoDate } from './iso-date.js'
import { issue } from './rules.js'
import type { AstarteValue } from './types.js'

const DECIMAL = /^-?(0|[1-9][0-9]*)$/

const typeIssue = (type: AstarteType, message: string): Issue =>
  issue('unexpected_value_type', '', `${type}: ${message}`)

/** Converts one JSON scalar to the JS form of `type`, or `undefined` if it can't be. */
function scalarFromJson(type: AstarteType, json: unknown): unknown {
  switch (type) {
    case 'longinteger':
      if (typeof json === 'string' && DECIMAL.test(json)) return BigInt(json)
      return typeof json === 'number' && Number.isSafeInteger(json) ? BigInt(json) : undefined
    case 'binaryblob':
      return typeof json === 'string' ? base64Decode(json) : undefined
    case 'datetime':
      if (typeof json === 'string') return parseIsoDate(json)
      return typeof json === 'number' && Number.isSafeInteger(json) ? new Date(json) : undefined
    default:
      return json
  }
}

/**
 * Reads the AppEngine JSON form of a value of `type`. Issues carry `path: ''` (the value itself);
 * callers that know the Astarte path can re-target them.
 */
export function valueFromJson(type: AstarteType, json: unknown): Result<AstarteValue> {
  const scalar = scalarOf[type]
  let value: unknown
  if (scalar === type) value = scalarFromJson(type, json)
  else if (Array.isArray(json)) value = json.map((item: unknown) => scalarFromJson(scalar, item))
  else return err([typeIssue(type, 'expected a JSON array')])
  if (value === undefined || (Array.isArray(value) && value.includes(undefined))) {
    const kind = Array.isArray(json) ? 'array' : typeof json
    return err([typeIssue(type, `a JSON ${kind} is not its form`)])
  }
  return checkValue(type, value, '')
}

function scalarToJson(type: AstarteType, value: unknown): unknown {
  switch (type) {
    case 'longinteger':
      return String(value)
    case 'binaryblob':
      return base64Encode(value as Uint8Array)
    case 'datetime':
      return (value as Date).toISOString()
    default:
      return value
  }
}

/** Writes the AppEngine JSON form of a (valid) value of `type`. */
export function valueToJson(type: AstarteType, value: AstarteValue): unknown {
  const scalar = scalarOf[type]
  if (scalar === type) return scalarToJson(type, value)
  return (value as readonly unknown[]).map((item) => scalarToJson(scalar, item))
}
