/**
 * @module uploader: a local file sent as one HTTP(S) request body (PUT by default, the way
 * presigned object-storage URLs take it), with Content-Length, progress, retries of network
 * errors and 5xx (each attempt sends the whole file again: a plain PUT cannot be continued) and
 * abort. Shares the downloader's TLS, backoff and URL redaction.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { DEFAULT_RETRY, abortableSleep, backoffDelayMs, type RetryPolicy } from './backoff.js'
import { exchange, parseTransferUrl, StalledError, type TransferTls } from './http-request.js'
import { redactUrl } from './redact-url.js'
import { isRetryableStatus, progressThrottle } from './transfer-util.js'

/** Why an upload failed. */
export type UploadErrorCode =
  'upload.network' | 'upload.http_status' | 'upload.aborted' | 'upload.io'

/** A failed upload; the message names the URL without credentials or query. */
export class UploadError extends Error {
  readonly code: UploadErrorCode
  /** The HTTP status, for `upload.http_status`. */
  readonly status?: number

  constructor(
    code: UploadErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'UploadError'
    this.code = code
    if (options.status !== undefined) this.status = options.status
  }
}

/** Progress of an upload: bytes of the file handed to the connection in this attempt. */
export interface UploadProgress {
  readonly sentBytes: number
  readonly totalBytes: number
}

/** One file to upload. */
export interface UploadRequest {
  readonly url: string
  /** The local file sent as the body. */
  readonly source: string
  readonly method?: 'PUT' | 'POST'
  /** Extra request headers (`Content-Length` is the uploader's own). */
  readonly headers?: Readonly<Record<string, string>>
  readonly signal?: AbortSignal
  /** At each attempt's start, at most every 100 ms, and at the end. Must not throw. */
  readonly onProgress?: (p: UploadProgress) => void
  readonly tls?: TransferTls
  /** As the downloader's; every attempt counts (an upload restarts from its first byte). */
  readonly retry?: RetryPolicy
  /** Socket inactivity after which the attempt fails as a network error; default 30 s. */
  readonly stallTimeoutMs?: number
}

export interface UploadResult {
  readonly bytes: number
  /** The server's 2xx status. */
  readonly status: number
}

/** Uploads `req.source` to `req.url`; resolves on a 2xx answer. */
export async function upload(req: UploadRequest): Promise<UploadResult> {
  const url = parseTransferUrl(req.url)
  if (url === undefined) throw new UploadError('upload.io', 'upload url must be an http(s) URL')
  const shown = redactUrl(url)
  const retry = req.retry ?? DEFAULT_RETRY
  const emit = progressThrottle(
    req.onProgress === undefined
      ? undefined
      : (p) => req.onProgress?.({ sentBytes: p.receivedBytes, totalBytes: p.totalBytes ?? 0 }),
  )
  const aborted = (): UploadError =>
    new UploadError('upload.aborted', `upload to ${shown} aborted`, { cause: req.signal?.reason })
  for (let failures = 0; ;) {
    if (req.signal?.aborted === true) throw aborted()
    try {
      return await attempt(req, url, shown, emit)
    } catch (e) {
      if (!(e instanceof UploadError)) throw e
      if (e.code === 'upload.io' || e.code === 'upload.aborted') throw e
      if (e.code === 'upload.http_status' && !isRetryableStatus(e.status ?? 0)) throw e
      failures += 1
      if (failures >= retry.attempts) throw e
      try {
        await abortableSleep(backoffDelayMs(retry, failures), req.signal)
      } catch {
        throw aborted()
      }
    }
  }
}

async function attempt(
  req: UploadRequest,
  url: URL,
  shown: string,
  emit: (sent: number, total: number | undefined, force: boolean) => void,
): Promise<UploadResult> {
  let size: number
  try {
    size = (await stat(req.source)).size
  } catch (e) {
    throw new UploadError('upload.io', `couldn't read ${req.source}: ${String(e)}`, { cause: e })
  }
  let sent = 0
  let fileError: unknown
  emit(0, size, true)
  let status: number
  try {
    const res = await exchange({
      method: req.method ?? 'PUT',
      url,
      headers: { ...req.headers, 'content-length': size },
      idleTimeoutMs: req.stallTimeoutMs ?? 30_000,
      ...(req.tls === undefined ? {} : { tls: req.tls }),
      ...(req.signal === undefined ? {} : { signal: req.signal }),
      body: (out) => {
        const file = createReadStream(req.source)
        file.on('data', (chunk) => {
          sent += chunk.length
          emit(sent, size, false)
        })
        file.once('error', (e) => {
          fileError = e
          out.destroy(e)
        })
        file.pipe(out)
      },
    })
    res.resume()
    status = res.statusCode ?? 0
  } catch (e) {
    if (fileError !== undefined) {
      throw new UploadError('upload.io', `couldn't read ${req.source}: ${String(fileError)}`, {
        cause: fileError,
      })
    }
    if (req.signal?.aborted === true) {
      throw new UploadError('upload.aborted', `upload to ${shown} aborted`, { cause: e })
    }
    const why = e instanceof StalledError || e instanceof Error ? e.message : String(e)
    throw new UploadError('upload.network', `couldn't upload to ${shown}: ${why}`, { cause: e })
  }
  if (status < 200 || status > 299) {
    throw new UploadError(
      'upload.http_status',
      `couldn't upload to ${shown}: the server answered ${status}`,
      {
        status,
      },
    )
  }
  emit(size, size, true)
  return { bytes: size, status }
}
