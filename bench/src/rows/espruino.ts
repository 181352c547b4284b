/**
 * @module bench Espruino row: `esp32.bundle.espruino`, `npm run size`'s figure for the Espruino
 * bundle (ES5, minified) plus the example's compiled interfaces; the issue's budget is 40 KiB.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Measurement, RowSpec } from '../context.js'
import { repoRoot } from '../fleet/fleet-env.js'

const run = promisify(execFile)

async function bundleSize(): Promise<Measurement> {
  const size = join(repoRoot, 'runtimes/espruino/scripts/size.mjs')
  const script =
    `const { espruinoReport } = await import(${JSON.stringify(size)});` +
    'const { minified, gzipped } = await espruinoReport();' +
    'console.log(JSON.stringify({ minified, gzipped }))'
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
  })
  const { minified, gzipped } = JSON.parse(stdout) as { minified: number; gzipped: number }
  return { measured: minified / 1024, details: { minifiedBytes: minified, gzippedBytes: gzipped } }
}

export const espruinoRows: readonly RowSpec[] = [
  {
    id: 'esp32.bundle.espruino',
    title: 'ESP32 bundle size (Espruino, ES5, with compiled interfaces, minified)',
    unit: 'KiB',
    goal: { op: '<=', value: 40, on: 'measured' },
    measure: () => bundleSize(),
  },
]
