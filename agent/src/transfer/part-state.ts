/**
 * @module part state: the on-disk state of an unfinished download, `<destination>.part` (the
 * bytes) and `<destination>.part.json` (the validator, total size and how many bytes of the
 * part were synced to disk). Only synced bytes are trusted on resume, so a power loss that left
 * unwritten blocks at the end of the part cannot slip into the result.
 */
import { createHash } from 'node:crypto'
import { readFile, rm, stat, truncate } from 'node:fs/promises'
import { writeFileDurably } from './durable-file.js'

export interface PartState {
  /** sha256 of the URL's origin and path: a part is continued only for the same resource. */
  readonly resource: string
  readonly etag?: string
  readonly lastModified?: string
  readonly totalBytes?: number
  /** Bytes of the part known to be on disk (fsynced). */
  readonly syncedBytes: number
}

export const partPath = (destination: string): string => `${destination}.part`
export const sidecarPath = (destination: string): string => `${destination}.part.json`

/** The resource key of a URL; its query (a presigned URL's signature) does not count. */
export function resourceKey(url: URL): string {
  return createHash('sha256').update(`${url.origin}${url.pathname}`).digest('hex')
}

/**
 * The bytes a download of `resource` may continue from: the synced prefix of the part, when the
 * sidecar names the same resource and a validator to resume against. The part is cut to that
 * length; anything else is removed and the download starts over.
 */
export async function loadPart(
  destination: string,
  resource: string,
): Promise<{ state: PartState; offset: number } | undefined> {
  const state = await readSidecar(destination)
  const size = await sizeOf(partPath(destination))
  if (
    state === undefined ||
    size === undefined ||
    state.resource !== resource ||
    (state.etag === undefined && state.lastModified === undefined)
  ) {
    await discardPartial(destination)
    return undefined
  }
  const offset = Math.min(size, state.syncedBytes)
  if (offset === 0) {
    await discardPartial(destination)
    return undefined
  }
  if (offset < size) await truncate(partPath(destination), offset)
  return { state, offset }
}

/** Writes the sidecar durably. */
export async function saveSidecar(destination: string, state: PartState): Promise<void> {
  await writeFileDurably(sidecarPath(destination), JSON.stringify(state))
}

/**
 * Removes an unfinished download (part and sidecar), so the next download of `destination`
 * starts from the first byte.
 */
export async function discardPartial(destination: string): Promise<void> {
  await rm(partPath(destination), { force: true })
  await rm(sidecarPath(destination), { force: true })
  await rm(`${sidecarPath(destination)}.tmp`, { force: true })
}

async function readSidecar(destination: string): Promise<PartState | undefined> {
  let text: string
  try {
    text = await readFile(sidecarPath(destination), 'utf8')
  } catch {
    return undefined
  }
  try {
    const v = JSON.parse(text) as Record<string, unknown>
    if (typeof v.resource !== 'string' || !isCount(v.syncedBytes)) return undefined
    return {
      resource: v.resource,
      syncedBytes: v.syncedBytes,
      ...(typeof v.etag === 'string' ? { etag: v.etag } : {}),
      ...(typeof v.lastModified === 'string' ? { lastModified: v.lastModified } : {}),
      ...(isCount(v.totalBytes) ? { totalBytes: v.totalBytes } : {}),
    }
  } catch {
    return undefined
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch {
    return undefined
  }
}
