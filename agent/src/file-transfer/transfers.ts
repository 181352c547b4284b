/**
 * @module file transfers: one server-to-device download (into the store's incoming directory
 * then admitted, or to a path) and one device-to-server upload, over the agent's downloader and
 * uploader. What the device publishes about them is the feature's.
 */
import { chmod, chown } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  DownloadError,
  discardPartial,
  download,
  redactUrl,
  statfsFreeSpace,
  upload,
  type FreeSpace,
  type RetryPolicy,
  type TransferTls,
} from '../transfer/index.js'
import { reservedBytes, type FileStore } from './file-store.js'
import type { DeviceToServerRequest, ServerToDeviceRequest } from './requests.js'

export interface TransferContext {
  readonly files: FileStore
  readonly signal: AbortSignal
  /** Percent of the destination's file system kept free. */
  readonly reservedPercent: number
  readonly freeSpace?: FreeSpace
  readonly tls?: TransferTls
  readonly retry?: RetryPolicy
  /** Told of the progress when the request asked for it. */
  readonly progress?: (bytes: number, total: number | undefined, final: boolean) => void
}

/**
 * Downloads `r` to its destination; a stored file ends up admitted into the store. `fresh` is
 * false when the store already held the id (ids name their content, spec §9).
 */
export async function downloadFile(
  r: ServerToDeviceRequest,
  t: TransferContext,
): Promise<{ readonly fresh: boolean }> {
  const toStorage = r.destination.type === 'storage'
  if (toStorage && (await t.files.sizeOf(r.id)) !== undefined) return { fresh: false }
  const destination =
    r.destination.type === 'storage' ? t.files.incomingPathOf(r.id) : r.destination.path
  const dir = dirname(destination)
  const freeSpace = t.freeSpace ?? statfsFreeSpace
  const reserve = await reservedBytes(dir, t.reservedPercent)
  if (r.fileSizeBytes !== undefined) {
    const free = await freeSpace(dir)
    if (free - reserve < r.fileSizeBytes) {
      throw new DownloadError(
        'download.no_space',
        `couldn't download ${redactUrl(r.url)}: ${r.fileSizeBytes} bytes needed, ${free} free of which ${reserve} are reserved`,
      )
    }
  }
  const { progress } = t
  const result = await download({
    url: r.url,
    destination,
    headers: r.headers,
    signal: t.signal,
    reserveBytes: reserve,
    freeSpace,
    keepPartial: true,
    ...(r.sha256 === undefined ? {} : { sha256: r.sha256 }),
    ...(t.tls === undefined ? {} : { tls: t.tls }),
    ...(t.retry === undefined ? {} : { retry: t.retry }),
    ...(progress === undefined
      ? {}
      : { onProgress: (p) => progress(p.receivedBytes, p.totalBytes, false) }),
  }).catch(async (e: unknown) => {
    // Only a transfer the agent's stop interrupted goes on later; a failed one leaves nothing.
    if (!t.signal.aborted) await discardPartial(destination).catch(() => undefined)
    throw e
  })
  if (r.fileMode !== undefined) await chmod(destination, r.fileMode)
  if (r.userId !== undefined || r.groupId !== undefined) {
    await chown(destination, r.userId ?? -1, r.groupId ?? -1)
  }
  if (toStorage) await t.files.admit(r.id)
  progress?.(result.bytes, result.bytes, true)
  return { fresh: true }
}

/** Uploads the stored file or the path `r` names. */
export async function uploadFile(r: DeviceToServerRequest, t: TransferContext): Promise<void> {
  let source: string
  if (r.source.type === 'storage') {
    if ((await t.files.sizeOf(r.source.fileId)) === undefined) {
      throw Object.assign(new Error(`no stored file ${r.source.fileId}`), { code: 'ENOENT' })
    }
    source = t.files.pathOf(r.source.fileId)
  } else source = r.source.path
  const { progress } = t
  await upload({
    url: r.url,
    source,
    headers: r.headers,
    signal: t.signal,
    ...(t.tls === undefined ? {} : { tls: t.tls }),
    ...(t.retry === undefined ? {} : { retry: t.retry }),
    ...(progress === undefined
      ? {}
      : { onProgress: (p) => progress(p.sentBytes, p.totalBytes, p.sentBytes === p.totalBytes) }),
  })
}
