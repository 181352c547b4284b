/**
 * @module device id: Pairing's reading of a `hw_id` (spec §4.3.1, §4.4): URL-safe base64
 * without padding of at least 16 bytes; only the first 16 bytes name the device.
 */

/** The canonical 22-character device id for `hwId`, or null when it isn't a valid id. */
export function canonicalDeviceId(hwId: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(hwId) || hwId.length % 4 === 1) return null
  const bytes = Buffer.from(hwId, 'base64url')
  if (bytes.length < 16) return null
  return bytes.subarray(0, 16).toString('base64url')
}
