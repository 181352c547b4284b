/**
 * @module value json: AppEngine JSON forms of Astarte values (spec §5). Temporary local copy of
 * sdk-core's `valueFromJson`/`valueToJson` (same signatures) until sdk-core exports them.
 */
import { checkValue, type AstarteType, type AstarteValue, type Issue, type Result } from '@astarte-ts/sdk-core'

const scalar = (type: AstarteType): AstarteType => type.replace(/array$/, '') as AstarteType

function scalarFromJson(type: AstarteType, json: unknown): unknown {
  switch (type) {
    case 'longinteger':
      return typeof json === 'string' && /^-?\d+$/.test(json) ? BigInt(json) : typeof json === 'number' && Number.isInteger(json) ? BigInt(json) : json
    case 'binaryblob':
      return typeof json === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(json) && json.length % 4 === 0
        ? new Uint8Array(Buffer.from(json, 'base64'))
        : json
    case 'datetime':
      return typeof json === 'string' || (typeof json === 'number' && Number.isInteger(json)) ? new Date(json) : json
    default:
      return json
  }
}

/** The Astarte value of `json` in AppEngine form for `type`, validated. */
export function valueFromJson(type: AstarteType, json: unknown): Result<AstarteValue, readonly Issue[]> {
  const s = scalar(type)
  const candidate = s === type ? scalarFromJson(type, json) : Array.isArray(json) ? json.map((j) => scalarFromJson(s, j)) : json
  return checkValue(type, candidate, '')
}

function scalarToJson(type: AstarteType, value: unknown): unknown {
  switch (type) {
    case 'longinteger':
      return String(value)
    case 'binaryblob':
      return Buffer.from(value as Uint8Array).toString('base64')
    case 'datetime':
      return (value as Date).toISOString()
    default:
      return value
  }
}

/** The AppEngine JSON form of a value of `type`. */
export function valueToJson(type: AstarteType, value: AstarteValue): unknown {
  const s = scalar(type)
  return s === type ? scalarToJson(type, value) : (value as readonly unknown[]).map((v) => scalarToJson(s, v))
}
