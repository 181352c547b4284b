/**
 * @module tmpfs (test helper): a real small file system, for the "disk full" paths. Mounting
 * needs root (CI and this project's machines run the suites as root); where the mount is
 * refused the test is skipped with the system's reason, never faked.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)

/**
 * A tmpfs of `size` (as mount takes it, e.g. `1m`) mounted on a new directory under `parent`,
 * unmounted and removed after the test; `undefined` (the test skipped) when it can't be mounted.
 */
export async function mountTmpfs(
  t: TestContext,
  parent: string,
  size: string,
): Promise<string | undefined> {
  const dir = await mkdtemp(join(parent, 'tmpfs-'))
  try {
    await execFileP('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  } catch (e) {
    await rm(dir, { recursive: true, force: true })
    t.skip(`couldn't mount a tmpfs: ${(e as { stderr?: string }).stderr?.trim() || String(e)}`)
    return undefined
  }
  t.after(async () => {
    await execFileP('umount', [dir])
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}
