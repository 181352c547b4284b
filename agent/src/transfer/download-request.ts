/**
 * @module download request: what `download()` takes and gives, and the checks a request passes
 * before any I/O.
 */
import type { RetryPolicy } from './backoff.js'
import { parseTransferUrl, type TransferTls } from './http-request.js'

/** Progress of a download: bytes of the file received so far (earlier attempts included). */
export interface DownloadProgress {
  readonly receivedBytes: number
  /** The file's size, when the server said it. */
  readonly totalBytes: number | undefined
}

/** One file to download. */
export interface DownloadRequest {
  /** `http:` or `https:`; never shown with its userinfo or query (see `redactUrl`). */
  readonly url: string
  /** The final path; its directory must exist. */
  readonly destination: string
  /** Expected sha256 of the whole file, hex; checked before the rename. */
  readonly sha256?: string
  /** Largest file accepted (`download.too_large` beyond, announced or received). */
  readonly maxBytes?: number
  /**
   * Stops the download (`download.aborted`). The part is kept for a later resume unless
   * `keepPartial` is false.
   */
  readonly signal?: AbortSignal
  /**
   * At the start of each attempt, then at most every 100 ms and at the end. Must not throw
   * (what it throws ends the download, as is).
   */
  readonly onProgress?: (p: DownloadProgress) => void
  readonly tls?: TransferTls
  /**
   * Retries of network errors, 5xx, 408 and 429: `attempts` in a row that bring no byte (an
   * attempt that progressed starts the count again), waiting an equal-jitter exponential delay.
   * Other statuses are final. Default 5 attempts, 1 s to 30 s.
   */
  readonly retry?: RetryPolicy
  /** The bytes free under a directory; `statfs` of the destination's directory by default. */
  readonly freeSpace?: (dir: string) => Promise<number>
  /**
   * Free bytes the download must leave: checked before the request (for the bytes still to
   * come when the size is known) and every 256 KiB during it. Default 0.
   */
  readonly reserveBytes?: number
  /** Extra request headers (`Range` and `If-Range` are the downloader's own). */
  readonly headers?: Readonly<Record<string, string>>
  /** Socket inactivity after which the attempt fails as a network error; default 30 s. */
  readonly stallTimeoutMs?: number
  /**
   * Whether an aborted download, or one whose retries ran out on network errors, keeps its
   * part for a later resume (default true). Other failures always remove it.
   */
  readonly keepPartial?: boolean
}

/** A completed download. */
export interface DownloadResult {
  /** `destination`. */
  readonly path: string
  readonly bytes: number
  /** Of the whole file, hex. */
  readonly sha256: string
  /** Whether the download continued bytes received before (by this call or an earlier one). */
  readonly resumed: boolean
}

/** A request the downloader refuses before any I/O; `field` names the culprit. */
export class InvalidDownloadRequestError extends TypeError {
  readonly code = 'download.invalid_request'
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`invalid download request: ${field} ${reason}`)
    this.name = 'InvalidDownloadRequestError'
  }
}

/** Checks `req` and returns its URL, or throws `InvalidDownloadRequestError`. */
export function checkRequest(req: DownloadRequest): URL {
  const url = parseTransferUrl(req.url)
  if (url === undefined) throw new InvalidDownloadRequestError('url', 'must be an http(s) URL')
  if (typeof req.destination !== 'string' || req.destination === '') {
    throw new InvalidDownloadRequestError('destination', 'must be a path')
  }
  if (req.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(req.sha256)) {
    throw new InvalidDownloadRequestError('sha256', 'must be 64 hex digits')
  }
  for (const field of ['maxBytes', 'reserveBytes', 'stallTimeoutMs'] as const) {
    const v = req[field]
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) {
      throw new InvalidDownloadRequestError(field, 'must be a non-negative integer')
    }
  }
  const r = req.retry
  if (
    r !== undefined &&
    !(
      Number.isSafeInteger(r.attempts) &&
      r.attempts >= 1 &&
      r.baseDelayMs >= 0 &&
      r.maxDelayMs >= 0
    )
  ) {
    throw new InvalidDownloadRequestError('retry', 'needs attempts ≥ 1 and delays ≥ 0')
  }
  return url
}
