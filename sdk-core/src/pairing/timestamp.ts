/**
 * @module pairing timestamp: lenient reading of Pairing's verify timestamps, which are strings
 * `YYYY-MM-DD HH:MM:SS.mmmZ` with a space although the OpenAPI schema says integer (spec §4.3.5).
 */
import { parseDateTime } from '../value/iso-date.js'

/**
 * Milliseconds since the epoch, or `undefined` when the text is not a date-time. A `T`
 * separator, missing seconds or fraction, and numeric offsets are accepted; no zone means UTC.
 */
export const parsePairingTimestamp = (text: string): number | undefined => parseDateTime(text, true)
