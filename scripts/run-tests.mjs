// Runs every `*.test.ts` of the workspace with node:test through tsx, on the TypeScript sources,
// prints node's TAP stream (its closing `# tests`/`# pass`/`# fail` lines included), then a
// compact summary: files, tests, and each failure by file and full name.
// Usage: node scripts/run-tests.mjs [--quiet] [path-filter ...]
//   --quiet: no TAP stream, only node's closing counts and the summary (for local runs)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { packages, root, walk } from './workspace.mjs'

const args = process.argv.slice(2)
const quiet = args.includes('--quiet')
const filters = args.filter((a) => a !== '--quiet')
const files = packages
  .flatMap((p) => walk(join(root, p, 'test'), (n) => n.endsWith('.test.ts')))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()

if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
const scratch = mkdtempSync(join(tmpdir(), 'astarte-ts-tests-'))
const tap = join(scratch, 'tap.txt')
const results = join(scratch, 'results.ndjson')
let status
try {
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=@astarte-ts/source',
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      '--test-reporter=tap',
      `--test-reporter-destination=${quiet ? tap : 'stdout'}`,
      `--test-reporter=${join(root, 'scripts', 'test-summary-reporter.mjs')}`,
      `--test-reporter-destination=${results}`,
      ...files,
    ],
    { cwd: root, stdio: 'inherit' },
  )
  status = result.status ?? 1
  if (quiet) {
    // node's own closing lines: `# tests N`, `# pass N`, `# fail N`, …
    const lines = read(tap).split('\n')
    process.stdout.write(
      `${lines.filter((l) => /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(l)).join('\n')}\n`,
    )
  }
  process.stdout.write(summary(read(results), status))
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
process.exit(status)

/** A reporter's output; empty when node ended before writing it. */
function read(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}

/** The compact summary of the reporter's lines. */
function summary(text, code) {
  const rows = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l))
  const tests = rows.filter((r) => !r.suite)
  const failed = rows.filter((r) => !r.ok && !(r.suite && r.error.includes('subtest')))
  const skipped = tests.filter((r) => r.skip || r.todo).length
  const out = [
    '',
    // a file may only import suites of others (the same suites on another transport): its tests
    // are named after theirs, so files are counted as given, not as seen in the rows
    `summary: ${files.length} test files, ${tests.length} tests, ` +
      `${tests.length - failed.length - skipped} passed, ${failed.length} failed` +
      (skipped > 0 ? `, ${skipped} skipped` : ''),
  ]
  for (const f of failed) {
    out.push(`  FAIL ${relative(root, f.file) || '(no file)'} > ${f.name}`)
    out.push(`       ${f.error.split('\n')[0]}`)
  }
  if (failed.length === 0 && code !== 0) out.push(`  node --test exited with ${code}`)
  return `${out.join('\n')}\n`
}
