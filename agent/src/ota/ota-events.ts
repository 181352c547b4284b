/**
 * @module OTA events: `io.edgehog.devicemanager.OTAEvent` 0.1 as edgehog-device-runtime sends it
 * (edgehog-agent spec §3.2, §3.6): the statuses and status codes spelt as the interface spells
 * them, all five fields always present, and how each failure of a download or a deploy maps onto
 * a status code.
 */
import type { DownloadError } from '../transfer/index.js'
import type { SystemUpdateError } from './system-update.js'

/** The OTAEvent statuses; `Success` and `Failure` are final. */
export type OtaStatus =
  | 'Acknowledged'
  | 'Downloading'
  | 'Deploying'
  | 'Deployed'
  | 'Rebooting'
  | 'Success'
  | 'Error'
  | 'Failure'

/** The OTAEvent status codes; `''` when all is well. */
export type OtaStatusCode =
  | ''
  | 'InvalidRequest'
  | 'UpdateAlreadyInProgress'
  | 'NetworkError'
  | 'IOError'
  | 'InternalError'
  | 'InvalidBaseImage'
  | 'SystemRollback'
  | 'Canceled'

/** One OTAEvent, with the time it happened (sent as its explicit timestamp). */
export interface OtaEvent {
  readonly requestUUID: string
  readonly status: OtaStatus
  readonly statusProgress: number
  readonly statusCode: OtaStatusCode
  readonly message: string
  readonly atMs: number
}

/** Whether an event ends its update. */
export const isFinal = (status: OtaStatus): boolean => status === 'Success' || status === 'Failure'

/** A failure's status code and whether another download attempt may succeed. */
export interface FailureCause {
  readonly code: OtaStatusCode
  readonly message: string
  readonly retry: boolean
}

/**
 * A download failure as an OTAEvent status code: network and server trouble (and bytes that
 * arrived corrupted) are `NetworkError` and worth another attempt; a full disk or a bundle over
 * the size limit is `IOError` (spec §13: a full disk should say so) and no attempt would help;
 * a client error status (4xx but 408 and 429) won't change either.
 */
export function downloadCause(error: DownloadError): FailureCause {
  const message = error.message
  switch (error.code) {
    case 'download.network':
    case 'download.checksum':
      return { code: 'NetworkError', message, retry: true }
    case 'download.http_status': {
      const s = error.status ?? 0
      return { code: 'NetworkError', message, retry: s >= 500 || s === 408 || s === 429 || s === 0 }
    }
    case 'download.no_space':
    case 'download.too_large':
      return { code: 'IOError', message, retry: false }
    case 'download.io':
      return { code: 'IOError', message, retry: true }
    case 'download.aborted':
      return { code: 'Canceled', message, retry: false }
  }
}

/** A deploy failure as an OTAEvent status code (spec §3.3 step 4–5). */
export function updateCause(error: SystemUpdateError): OtaStatusCode {
  switch (error.code) {
    case 'update.incompatible':
    case 'update.install_failed':
      return 'InvalidBaseImage'
    case 'update.io':
      return 'IOError'
    case 'update.unavailable':
    case 'update.mark_failed':
      return 'InternalError'
  }
}
