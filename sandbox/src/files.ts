/** @module files: secrets reach disk only through an atomic 0600 write (temp file + rename). */
import { randomBytes } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'

/** Writes `data` to `path` atomically with mode 0600, so readers never see a partial key. */
export function writeSecretFile(path: string, data: string): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, data, { mode: 0o600 })
  renameSync(tmp, path)
}

/** Writes a public file (certificates) atomically with mode 0644. */
export function writePublicFile(path: string, data: string): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, data, { mode: 0o644 })
  renameSync(tmp, path)
}
