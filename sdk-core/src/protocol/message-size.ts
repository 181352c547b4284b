/**
 * @module protocol message size: the largest payload a device publishes. Astarte's broker gives
 * device sessions `max_message_size = 65 535` (spec §3.1) and drops the message or the
 * connection above it, while Core accepts values (a 65 536-byte string, 1024 long array items)
 * whose payload is larger (spec §2.3): such a value is refused before it is queued, else a stored
 * one would be replayed, and refused, after every reconnect.
 */
import { SdkError } from '../errors.js'

/** spec §2.3: the default client-side cap on one payload, in bytes of BSON (the broker's limit). */
export const MAX_PAYLOAD_BYTES = 65_535

/** `local.payload_too_large`: a payload of `bytes` bytes on `interfaceName` + `path`, over `limit`. */
export function payloadTooLarge(
  interfaceName: string,
  path: string,
  bytes: number,
  limit: number,
): SdkError {
  const message = `couldn't send: the ${bytes}-byte payload is over the ${limit}-byte limit (maxPayloadBytes)`
  return new SdkError('local.payload_too_large', message, {
    ctx: { interfaceName, path, bytes, limit },
  })
}
