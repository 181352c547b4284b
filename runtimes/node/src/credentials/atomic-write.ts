/**
 * @module atomic write: a file is either its old or its new content, never a torn mix, and is
 * created 0600 (never world-readable, not even for the instant before a chmod).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'

/** Writes `data` to `path` via a 0600 temp file in the same directory, fsync, rename, dir fsync. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    for (let off = 0; off < bytes.byteLength;) off += writeSync(fd, bytes, off)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw e
  }
  closeSync(fd)
  renameSync(tmp, path)
  // The rename itself is durable only once the directory entry is flushed.
  const dfd = openSync(dir, 'r')
  try {
    fsyncSync(dfd)
  } finally {
    closeSync(dfd)
  }
}
