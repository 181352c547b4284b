/** @module transfer: HTTP(S) downloads and uploads shared by OTA and file transfer. */
export { DEFAULT_RETRY, backoffDelayMs, type RetryPolicy } from './backoff.js'
export { DownloadError, type DownloadErrorCode } from './download-error.js'
export {
  InvalidDownloadRequestError,
  download,
  type DownloadProgress,
  type DownloadRequest,
  type DownloadResult,
} from './downloader.js'
export { syncDirectory, writeFileDurably } from './durable-file.js'
export { statfsFreeSpace, type FreeSpace } from './free-space.js'
export type { TransferTls } from './http-request.js'
export { discardPartial, partPath, sidecarPath } from './part-state.js'
export { redactUrl } from './redact-url.js'
export {
  UploadError,
  upload,
  type UploadErrorCode,
  type UploadProgress,
  type UploadRequest,
  type UploadResult,
} from './uploader.js'
