/** @module free space: bytes an unprivileged process may still write under a directory. */
import { statfs } from 'node:fs/promises'

/** A port: the bytes available under `dir`. */
export type FreeSpace = (dir: string) => Promise<number>

/** `statfs`: blocks available to unprivileged users times the block size. */
export const statfsFreeSpace: FreeSpace = async (dir) => {
  const s = await statfs(dir)
  return s.bavail * s.bsize
}
