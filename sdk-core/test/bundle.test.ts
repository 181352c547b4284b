/** `npm run size`'s check: sdk-core bundles for a neutral platform without any Node host API. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

const root = new URL('../../', import.meta.url).pathname
const size = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'scripts/size.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
  })

test('the sdk-core bundle needs nothing from Node and its sizes are printed', () => {
  const r = size()
  assert.equal(r.status, 0, r.stderr)
  const m = /sdk-core bundle: (\d+) bytes minified, (\d+) bytes gzipped/.exec(r.stdout)
  assert.ok(m, r.stdout)
  assert.ok(Number(m[2]) < Number(m[1]))
})

test('the check catches node: imports and the require/Buffer/process globals', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'astarte-size-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const entry = join(dir, 'bad.ts')
  writeFileSync(
    entry,
    'import { readFileSync } from "node:fs"\n' +
      'export const f = () => [readFileSync, Buffer.from("x"), process.env, require("x")]\n' +
      // Properties and methods with those names are fine.
      'export const ok = { process: 1, require() { return 2 } }\n',
  )
  const r = size(entry)
  assert.equal(r.status, 1)
  const lines = r.stderr.trim().split('\n').sort()
  assert.deepEqual(lines, [
    'size: the bundle imports node:fs',
    'size: the bundle references the global Buffer',
    'size: the bundle references the global process',
    'size: the bundle references the global require',
  ])
})
