/**
 * @module small disk: a size-limited tmpfs that tests fill up and empty, to see what a full disk
 * does to a real SQLite file. Mounting needs root (and a kernel that allows it): elsewhere
 * `mountSmallDisk` skips the test with the reason, and the failing-commit store adapter
 * (`MemoryStore` with `StoreFaults`) covers the behaviour.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'

export interface SmallDisk {
  /** The mount point. */
  readonly dir: string
  /** Writes a filler file until the disk has no room left. */
  fill(): void
  /** Deletes the filler. */
  free(): void
  /** Bytes free on the disk now. */
  freeBytes(): number
}

const CHUNK = new Uint8Array(16 * 1024).fill(0x5a)

/** Mounts a tmpfs of `bytes` for the test, unmounted after it; `undefined` (skipped) if it can't. */
export function mountSmallDisk(t: TestContext, bytes: number): SmallDisk | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    t.skip('needs root on Linux to mount a small tmpfs; the failing-commit adapter covers it')
    return undefined
  }
  const dir = mkdtempSync(join(tmpdir(), 'astarte-small-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    t.skip(`couldn't mount a tmpfs here (${(e as Error).message.split('\n')[0] ?? ''})`)
    return undefined
  }
  t.after(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  const filler = join(dir, 'filler')
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a')
      try {
        for (;;) writeSync(fd, CHUNK)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e
        // the last bytes: a smaller write fits what a chunk did not
        try {
          for (;;) writeSync(fd, CHUNK, 0, 512)
        } catch {
          // full
        }
      } finally {
        closeSync(fd)
      }
    },
    free() {
      rmSync(filler, { force: true })
    },
    freeBytes() {
      const s = statfsSync(dir)
      return s.bavail * s.bsize
    },
  }
}
