/**
 * @module protocol purge: the purge-properties payloads of `producer/properties` and
 * `consumer/properties` (spec §3.6). The 4-byte length header is written big-endian and skipped,
 * never checked, when read (Python writes it little-endian and Astarte accepts it).
 */
import { err, ok } from '../errors.js'
import type { Issue, Result } from '../errors.js'
import type { Inflater } from '../ports.js'
import { anyIssue } from '../interface/issue.js'
import { utf8Encode, utf8Read } from '../bson/utf8.js'

/** Wire format negotiated through capabilities (spec §3.7); `zlib` is Astarte's default. */
export type PurgeFormat = 'zlib' | 'plaintext'

/** One property named in a purge list. */
export interface PurgeEntry {
  readonly interfaceName: string
  readonly path: string
}

/** spec §3.6: Astarte caps the inflated purge text at this many bytes. */
export const PURGE_INFLATE_LIMIT = 10_485_760

/** The payload listing `entries` (each `<interface><path>`), in `format`. */
export function encodePurgeProperties(
  entries: readonly string[],
  inflater: Inflater,
  format: PurgeFormat = 'zlib',
): Uint8Array {
  const text = utf8Encode(entries.join(';'))
  if (format === 'plaintext') return text
  const deflated = inflater.deflate(text)
  const out = new Uint8Array(4 + deflated.length)
  new DataView(out.buffer).setUint32(0, text.length, false)
  out.set(deflated, 4)
  return out
}

const issue = (code: string, message: string): Issue[] => [anyIssue(code, '', message)]

function inflateBody(payload: Uint8Array, inflater: Inflater): Result<Uint8Array> {
  if (payload.length < 4) {
    return err(issue('purge_header', 'purge payload is shorter than its 4-byte header'))
  }
  if (payload.length === 4) {
    // spec §3.6: exactly `00 00 00 00` alone means "no properties set"; another header with no
    // zlib stream after it announces a text that is missing, and reading it as the empty list
    // would unset every cached server property
    if (payload.every((b) => b === 0)) return ok(new Uint8Array(0))
    return err(issue('purge_inflate', 'purge payload has a non-zero length and no zlib stream'))
  }
  try {
    // DUP keeps the inflated text only while it stays under the cap: exactly the cap is refused
    return ok(inflater.inflate(payload.subarray(4), PURGE_INFLATE_LIMIT - 1))
  } catch {
    return err(issue('purge_inflate', 'purge payload is not a zlib stream within the size limit'))
  }
}

/**
 * The properties listed in a purge payload; entries are split at their first `/` into
 * interface name and path (spec §3.6). An entry that is not `<interface>/<path>` (no `/`, an
 * empty interface name, an empty entry from `;;` or a trailing `;`) names no property: it is
 * skipped, and told to `onSkipped`, the way DUP parses the list. Refusing the whole list for it
 * would keep every property the list leaves out.
 */
export function decodePurgeProperties(
  payload: Uint8Array,
  inflater: Inflater,
  format: PurgeFormat = 'zlib',
  onSkipped?: (entry: string, index: number) => void,
): Result<PurgeEntry[]> {
  const body = format === 'plaintext' ? ok(payload) : inflateBody(payload, inflater)
  if (!body.ok) return body
  const text = utf8Read(body.value, 0, body.value.length)
  if (text === undefined) return err(issue('purge_utf8', 'purge text is not valid utf-8'))
  if (text === '') return ok([])
  const entries: PurgeEntry[] = []
  text.split(';').forEach((entry, index) => {
    const slash = entry.indexOf('/')
    if (slash <= 0) onSkipped?.(entry, index)
    else entries.push({ interfaceName: entry.slice(0, slash), path: entry.slice(slash) })
  })
  return ok(entries)
}
