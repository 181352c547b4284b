/**
 * @module bench main: `npm run bench [-- --quick] [--out FILE] [--scale X] [--rounds N]
 * [--only id,…]`. Runs every row, writes the JSON report and a Markdown table next to it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { allRows } from './rows/all-rows.js'
import { createContext } from './context.js'
import { describeMachine } from './machine.js'
import { toMarkdown, type Report } from './report.js'
import { runRow } from './run-row.js'

const benchDir = resolve(dirname(new URL(import.meta.url).pathname), '..')
const defaultOut = join(benchDir, 'results', 'latest.json')

function usage(message: string): never {
  process.stderr.write(
    `bench: ${message}\n` +
      'usage: npm run bench -- [--quick] [--out FILE] [--scale X] [--rounds N] [--only id,…]\n',
  )
  process.exit(2)
}

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number`)
  return n
}

async function main(): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        scale: { type: 'string' },
        rounds: { type: 'string' },
        only: { type: 'string' },
      },
      strict: true,
    })
  } catch (e) {
    usage((e as Error).message)
  }
  const { values } = parsed
  const quick = values.quick === true
  const out = resolve(values.out ?? defaultOut)
  const only = values.only?.split(',').filter((s) => s !== '')
  const startedAt = new Date()
  const tmpDir = mkdtempSync(join(tmpdir(), 'astarte-bench-'))
  const { ctx, close } = createContext({
    quick,
    scale: positive(values.scale, 'scale', 1),
    rounds: Math.round(positive(values.rounds, 'rounds', quick ? 3 : 7)),
    tmpDir,
  })
  const rows = []
  try {
    for (const spec of allRows) {
      if (only !== undefined && !only.some((o) => spec.id.startsWith(o))) continue
      rows.push(await runRow(ctx, spec))
    }
  } finally {
    await close()
    rmSync(tmpDir, { recursive: true, force: true })
  }
  const report: Report = {
    schema: 'astarte-ts-bench/1',
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    quick,
    commandLine: ['npm run bench --', ...process.argv.slice(2)].join(' '),
    machine: describeMachine(),
    rows,
  }
  const markdown = toMarkdown(report)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(out.replace(/\.json$/, '') + '.md', markdown)
  process.stdout.write(markdown)
}

await main()
