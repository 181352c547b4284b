/**
 * @module file transfer errno: the POSIX errno a `fileTransfer.Response` or `storage.Response`
 * carries for a failure (0 = success, spec §9), with the numbers of this system.
 */
import { constants } from 'node:os'
import { DownloadError, UploadError } from '../transfer/index.js'

const { errno } = constants

export const ERRNO = {
  EINVAL: errno.EINVAL,
  ENOTSUP: errno.ENOTSUP,
  ENOENT: errno.ENOENT,
  EBUSY: errno.EBUSY,
  EIO: errno.EIO,
} as const

/** The errno of a transfer failure; the cause's own when the system gave one. */
export function errnoOf(e: unknown): number {
  if (e instanceof DownloadError) {
    switch (e.code) {
      case 'download.no_space':
        return errno.ENOSPC
      case 'download.too_large':
        return errno.EFBIG
      case 'download.checksum':
        return errno.EBADMSG
      case 'download.aborted':
        return errno.ECANCELED
      case 'download.http_status':
        return statusErrno(e.status)
      case 'download.network':
        return causeErrno(e.cause) ?? errno.ECONNRESET
      case 'download.io':
        return causeErrno(e.cause) ?? errno.EIO
    }
  }
  if (e instanceof UploadError) {
    switch (e.code) {
      case 'upload.aborted':
        return errno.ECANCELED
      case 'upload.http_status':
        return statusErrno(e.status)
      case 'upload.network':
        return causeErrno(e.cause) ?? errno.ECONNRESET
      case 'upload.io':
        return causeErrno(e.cause) ?? errno.EIO
    }
  }
  return causeErrno(e) ?? errno.EIO
}

/** A refused status: not found, forbidden, or a protocol error. */
function statusErrno(status: number | undefined): number {
  if (status === 404 || status === 410) return errno.ENOENT
  if (status === 401 || status === 403) return errno.EACCES
  return errno.EPROTO
}

function causeErrno(cause: unknown): number | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? (errno as Record<string, number | undefined>)[code] : undefined
}
