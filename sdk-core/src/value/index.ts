/** @module value: Astarte values: validation, BSON payloads, AppEngine JSON forms (spec §2, §5). */
export { MAX_ARRAY_LENGTH, MAX_VALUE_BYTES, checkValue } from './check-value.js'
export {
  validateIndividual,
  validateObject,
  validateUnset,
  type ValidateOptions,
} from './validate.js'
export { encodePayload } from './payload-encode.js'
export { decodePayload, type DecodedData, type Direction } from './payload-decode.js'
export { valueFromJson, valueToJson } from './json-forms.js'
export { parseIsoDate } from './iso-date.js'
export { base64Decode, base64Encode, base64UrlDecode, base64UrlEncode } from './base64.js'
