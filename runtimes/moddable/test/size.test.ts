/**
 * `npm run size` on the Moddable bundle, and `npm run build:esp32` writing it: the report line
 * gives minified and gzipped bytes, the enforced ceiling and the goal; the bundle imports nothing
 * but Moddable's modules; the built file is the bundle the size is measured on.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { esp32Build, root } from './xs/xs-device.js'

interface SizeScript {
  readonly MODDABLE_CEILING_MINIFIED: number
  readonly MODDABLE_GOAL_MINIFIED: number
  moddableReport(): Promise<{
    line: string
    minified: number
    gzipped: number
    problems: string[]
  }>
}

test('npm run size reports the Moddable bundle under its ceiling, with its goal', async () => {
  const size = (await import(join(root, 'scripts/size.mjs'))) as SizeScript
  const report = await size.moddableReport()
  assert.deepEqual(report.problems, [])
  assert.ok(report.gzipped < report.minified)
  assert.ok(report.minified <= size.MODDABLE_CEILING_MINIFIED)
  const missed = report.minified - size.MODDABLE_GOAL_MINIFIED
  assert.ok(report.line.includes(`${report.minified} bytes minified`), report.line)
  assert.ok(
    report.line.endsWith(
      missed > 0 ? `goal ${size.MODDABLE_GOAL_MINIFIED} missed by ${missed})` : 'goal met)',
    ),
    report.line,
  )
})

test('npm run build:esp32 writes the bundle, importing only Moddable modules', async () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-esp32.mjs')], {
    cwd: root,
    encoding: 'utf8',
  })
  assert.equal(r.status, 0, r.stderr)
  const written = await readFile(join(root, 'runtimes/moddable/dist/astarte-moddable.js'), 'utf8')
  const { bundleModdable, MODDABLE_MODULES } = await esp32Build()
  assert.equal(written, (await bundleModdable()).code)
  const imports = [...written.matchAll(/import\s*[\w$]*\s*(?:\{[^}]*\}\s*)?from\s*"([^"]+)"/g)]
  assert.ok(imports.length > 0)
  for (const [, specifier] of imports) assert.ok(MODDABLE_MODULES.includes(specifier ?? ''))
})
