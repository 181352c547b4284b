// Runs every `*.test.ts` of the workspace with node:test through tsx, on the TypeScript sources.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { spawnSync } from 'node:child_process'
import { join, relative } from 'node:path'
import { packages, root, walk } from './workspace.mjs'

const filters = process.argv.slice(2)
const files = packages
  .flatMap((p) => walk(join(root, p, 'test'), (n) => n.endsWith('.test.ts')))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()

if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  [
    '--conditions=@astarte-ts/source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)
