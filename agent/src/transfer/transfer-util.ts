/** @module transfer util: small pieces the downloader and the uploader share. */
import type { FileHandle } from 'node:fs/promises'

/** Statuses worth another attempt: the server's trouble, not the request's. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

const PROGRESS_EVERY_MS = 100

/**
 * A progress reporter that calls `onProgress` at most every 100 ms, unless forced (start and
 * end of an attempt): enough for a progress bar, and cheap however small the chunks.
 */
export function progressThrottle(
  onProgress: ((p: { receivedBytes: number; totalBytes: number | undefined }) => void) | undefined,
): (received: number, total: number | undefined, force: boolean) => void {
  if (onProgress === undefined) return () => undefined
  let last = -Infinity
  return (received, total, force) => {
    const now = performance.now()
    if (!force && now - last < PROGRESS_EVERY_MS) return
    last = now
    onProgress({ receivedBytes: received, totalBytes: total })
  }
}

/** `FileHandle.write` may write less than asked (a full disk); this writes all or throws. */
export async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0
  while (done < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, done, chunk.length - done)
    done += bytesWritten
  }
}
