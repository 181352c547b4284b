/** @module download error: the one failure type of the downloader, with a stable `code`. */

/** Why a download failed; stable, for callers to map onto their own status codes. */
export type DownloadErrorCode =
  | 'download.network'
  | 'download.http_status'
  | 'download.no_space'
  | 'download.checksum'
  | 'download.too_large'
  | 'download.aborted'
  | 'download.io'

/** A failed download. The message names the URL without credentials or query. */
export class DownloadError extends Error {
  readonly code: DownloadErrorCode
  /** The HTTP status, for `download.http_status`. */
  readonly status?: number

  constructor(
    code: DownloadErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DownloadError'
    this.code = code
    if (options.status !== undefined) this.status = options.status
  }
}
