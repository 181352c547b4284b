/**
 * @module device id: Astarte device ids are 16 bytes in URL-safe base64 without padding, 22
 * characters (spec §4.4); deterministic ids are UUID v5 of (namespace, hardware id).
 */
import { SdkError } from '../errors.js'
import { utf8Encode } from '../bson/utf8.js'
import { base64UrlDecode, base64UrlEncode } from '../value/base64.js'
import { sha1 } from './sha1.js'
import { formatUuid, parseUuid } from './uuid.js'

/** Sets the RFC 4122 version nibble and the `10` variant bits in place. */
function stamp(bytes: Uint8Array, version: number): Uint8Array {
  bytes[6] = ((bytes[6] as number) & 0x0f) | (version << 4)
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
  return bytes
}

function uuidBytes(uuid: string): Uint8Array {
  const bytes = parseUuid(uuid)
  if (bytes === undefined) {
    throw new SdkError('local.invalid_uuid', `couldn't parse uuid ${JSON.stringify(uuid)}`)
  }
  return bytes
}

/**
 * The deterministic device id of `data` (e.g. a hardware id) under `namespace` (UUID text):
 * RFC 4122 v5 = SHA-1(namespace bytes ‖ UTF-8 data), truncated to 16 bytes, as every official
 * SDK computes it.
 * @throws SdkError `local.invalid_uuid` when `namespace` is not a UUID.
 */
export function deviceIdFromUuidV5(namespace: string, data: string): string {
  const ns = uuidBytes(namespace)
  const text = utf8Encode(data)
  const input = new Uint8Array(16 + text.length)
  input.set(ns)
  input.set(text, 16)
  return base64UrlEncode(stamp(sha1(input).subarray(0, 16), 5))
}

/**
 * A random (UUID v4) device id from 16 random bytes the caller supplies (sdk-core has no entropy
 * source). Development and tests only (spec §4.4).
 * @throws SdkError `local.invalid_argument` unless exactly 16 bytes are given.
 */
export function randomDeviceId(random16: Uint8Array): string {
  if (!(random16 instanceof Uint8Array) || random16.length !== 16) {
    throw new SdkError(
      'local.invalid_argument',
      "couldn't make a device id: need exactly 16 random bytes",
    )
  }
  return base64UrlEncode(stamp(random16.slice(), 4))
}

/** Whether `id` is a canonical device id: 22 URL-safe base64 characters encoding 16 bytes. */
export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 22 && base64UrlDecode(id) !== undefined
}

/**
 * The UUID text of a device id (the same 16 bytes, as AppEngine stores it).
 * @throws SdkError `local.invalid_device_id` when `id` is not a canonical device id.
 */
export function deviceIdToUuid(id: string): string {
  const bytes = isValidDeviceId(id) ? base64UrlDecode(id) : undefined
  if (bytes === undefined) {
    throw new SdkError('local.invalid_device_id', `couldn't read device id ${JSON.stringify(id)}`)
  }
  return formatUuid(bytes)
}

/**
 * The device id of a UUID text (byte copy, spec §4.4).
 * @throws SdkError `local.invalid_uuid` when `uuid` is not a UUID.
 */
export function uuidToDeviceId(uuid: string): string {
  return base64UrlEncode(uuidBytes(uuid))
}
