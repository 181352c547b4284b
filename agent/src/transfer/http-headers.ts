/** @module http headers: the response headers the downloader reads. */
import type { IncomingMessage } from 'node:http'

/** `W/` ETags cannot be used with `If-Range` (RFC 9110 §13.1.5), so they are not kept. */
export function strongEtag(etag: string | undefined): string | undefined {
  return etag === undefined || etag.startsWith('W/') ? undefined : etag
}

export function contentLength(res: IncomingMessage): number | undefined {
  const v = res.headers['content-length']
  if (v === undefined || !/^\d+$/.test(v)) return undefined
  const n = Number(v)
  return Number.isSafeInteger(n) ? n : undefined
}

/** `bytes <start>-<end>/<total or *>`. */
export function parseContentRange(
  v: string | undefined,
): { start: number; end: number; total: number | undefined } | undefined {
  const m = v === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim())
  if (m === null) return undefined
  const start = Number(m[1])
  const end = Number(m[2])
  const total = m[3] === '*' ? undefined : Number(m[3])
  if (end < start || (total !== undefined && end >= total)) return undefined
  return { start, end, total }
}

/** The size a 416 names in its Content-Range (`bytes`, an asterisk, a slash, the size). */
export function unsatisfiedRangeSize(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^bytes \*\/(\d+)$/.exec(v.trim())
  if (m === null) return undefined
  const n = Number(m[1])
  return Number.isSafeInteger(n) ? n : undefined
}
