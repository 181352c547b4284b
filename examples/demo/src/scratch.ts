/**
 * @module scratch directories: the demo's temporary stores (keys, credentials secrets, SQLite
 * files) are removed when it ends, also when Ctrl-C or SIGTERM cut it short.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const live = new Set<string>()

/**
 * On SIGINT/SIGTERM: remove what is still there and exit 130/143 at once. Closing every socket
 * of a demo half-way would take longer than a user who pressed Ctrl-C waits; the sandbox and the
 * devices live in this process and end with it.
 */
export function removeScratchOnInterrupt(say: (line: string) => void): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      say(`demo interrupted (${signal}): removing its temporary directories`)
      for (const dir of live) rmSync(dir, { recursive: true, force: true })
      process.exit(code)
    })
  }
}

/** A fresh 0700 directory under the system's temporary directory, named `prefix…`. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  live.add(dir)
  return dir
}

/** Removes a directory `scratchDir` made. */
export async function removeScratch(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  live.delete(dir)
}
