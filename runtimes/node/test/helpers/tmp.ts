/** @module tmp (test helper): private temp dirs under os.tmpdir(), removed when the test ends */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'

/** A fresh directory removed after the test (or suite) `t` finishes. */
export function tempDir(t: Pick<TestContext, 'after'>, prefix = 'astarte-ts-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
