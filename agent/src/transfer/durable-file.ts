/** @module durable file: writes that a power loss leaves old or new, never torn. */
import { open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Writes `data` to `file` through a synced temporary file and a rename, then syncs the directory. */
export async function writeFileDurably(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
  await syncDirectory(dirname(file))
}

/** Flushes a directory's entries, so a rename or unlink in it survives a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
