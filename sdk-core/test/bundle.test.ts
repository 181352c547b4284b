/**
 * `npm run size`'s check: sdk-core bundles for a neutral platform without any Node host API, the
 * whole public entry under its gzipped ceiling, the minimal device reported beside it.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'

const root = new URL('../../', import.meta.url).pathname
const size = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'scripts/size.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
  })

const LINE =
  /^(.+): (\d+) bytes minified, (\d+) bytes gzipped(?: \(ceiling (\d+)(?:, goal (\d+) (?:met|missed by (\d+)))?\))?; interface validator (\d+) bytes minified \((\d+\.\d) %\)$/

interface Line {
  readonly name: string
  readonly minified: number
  readonly gzipped: number
  readonly ceiling: number | undefined
  readonly goal: number | undefined
  readonly missedBy: number | undefined
  readonly validator: number
}

/** The sdk-core lines (the other bundles' lines, e.g. the engines', have their own tests). */
const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.includes('; interface validator '))
    .map((l) => {
      const m = LINE.exec(l)
      assert.ok(m, l)
      const [, name = '', minified, gzipped, ceiling, goal, missedBy, validator] = m
      return {
        name,
        minified: Number(minified),
        gzipped: Number(gzipped),
        ceiling: ceiling === undefined ? undefined : Number(ceiling),
        goal: goal === undefined ? undefined : Number(goal),
        missedBy: missedBy === undefined ? undefined : Number(missedBy),
        validator: Number(validator),
      }
    })

/** A throwaway entry file holding `source`. */
function entryFile(t: TestContext, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'astarte-size-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const entry = join(dir, 'entry.ts')
  writeFileSync(entry, source)
  return entry
}

test('sdk-core needs nothing from Node; it and the minimal device are reported', async () => {
  // the ratchet goes down as the bundle shrinks: the report must give the script's own
  const { WHOLE_CEILING_GZIPPED } = (await import(join(root, 'scripts/size.mjs'))) as {
    WHOLE_CEILING_GZIPPED: number
  }
  const r = size()
  const [full, minimal, ...rest] = lines(r.stdout)
  assert.ok(full !== undefined && minimal !== undefined)
  assert.deepEqual(rest, [])
  assert.equal(full.name, 'sdk-core bundle')
  assert.equal(full.ceiling, WHOLE_CEILING_GZIPPED)
  assert.equal(full.goal, 36 * 1024)
  const missed = full.gzipped - 36 * 1024
  assert.equal(full.missedBy, missed > 0 ? missed : undefined, 'the goal line says by how much')
  assert.match(minimal.name, /^minimal device \(DeviceMachine, PairingMachine, MqttSession, /)
  assert.equal(minimal.ceiling, 36 * 1024)
  assert.equal(minimal.goal, undefined)
  for (const { minified, gzipped, validator } of [full, minimal]) {
    assert.ok(gzipped < minified && validator < minified)
  }
  // the minimal device leaves the validator out, and more besides
  assert.ok(minimal.minified < full.minified)
  assert.ok(minimal.validator < full.validator / 4, JSON.stringify([minimal, full]))
  // only a ceiling may fail the run, never a host dependency
  const overs = [
    [full, 'the bundle'],
    [minimal, 'the minimal device bundle'],
  ] as const
  const expected = overs
    .filter(([b]) => b.ceiling !== undefined && b.gzipped > b.ceiling)
    .map(
      ([b, what]) =>
        `size: ${what} is ${b.gzipped} bytes gzipped, over its ceiling of ${b.ceiling}\n`,
    )
    .join('')
  assert.equal(r.stderr, expected)
  assert.equal(r.status, expected === '' ? 0 : 1)
})

test('a bundle over --ceiling fails; one at or under it passes', (t) => {
  const entry = entryFile(t, 'export const answer = [1, 2, 3].map((n) => n * 2)\n')
  const free = size(entry)
  assert.equal(free.status, 0, free.stderr)
  const [alone] = lines(free.stdout)
  assert.ok(alone !== undefined && alone.ceiling === undefined)
  const at = size(`--ceiling=${alone.gzipped}`, entry)
  assert.equal(at.status, 0, at.stderr)
  assert.equal(lines(at.stdout)[0]?.ceiling, alone.gzipped)
  const under = size(`--ceiling=${alone.gzipped - 1}`, entry)
  assert.equal(under.status, 1)
  const message = `over its ceiling of ${alone.gzipped - 1}`
  assert.equal(under.stderr, `size: the bundle is ${alone.gzipped} bytes gzipped, ${message}\n`)
})

test('the interface validator share counts the interface module but path resolution', (t) => {
  const src = join(root, 'sdk-core/src/interface/index.ts')
  const parse = lines(size(entryFile(t, `export { parseInterface } from '${src}'\n`)).stdout)[0]
  const resolve = lines(
    size(entryFile(t, `export { resolveIndividualPath } from '${src}'\n`)).stdout,
  )[0]
  assert.ok(parse !== undefined && resolve !== undefined)
  // parseInterface is the validator but for errors.ts's few hundred bytes
  assert.ok(parse.validator > parse.minified * 0.9, JSON.stringify(parse))
  // resolution brings only the issue helpers along
  assert.ok(resolve.validator < resolve.minified / 4, JSON.stringify(resolve))
})

test('--why says where the bytes are: modules, largest files, sentences', (t) => {
  const src = join(root, 'sdk-core/src/value/index.ts')
  const why = (name: string): string[] => {
    const r = size('--why', entryFile(t, `export { ${name} } from '${src}'\n`))
    assert.equal(r.status, 0, r.stderr)
    const [line, ...rest] = r.stdout.trim().split('\n')
    assert.ok(line !== undefined && LINE.test(line), line)
    return rest
  }
  const [modules, files, sentences, ...rest] = why('checkValue')
  assert.match(modules ?? '', /^ {2}by module, minified: value \d+, bson \d+/)
  assert.match(files ?? '', /^ {2}largest files, minified: value\/check-value\.ts \d+/)
  // "expected a double, got …" and the other messages of the check
  assert.match(sentences ?? '', /^ {2}sentences \(literals with a space\): about [1-9]\d* bytes/)
  assert.deepEqual(rest, [])
  // no literal at all
  assert.match(why('MAX_ARRAY_LENGTH')[2] ?? '', /: about 0 bytes of the gzipped size$/)
})

test('usage errors exit 2', () => {
  for (const args of [['--ceiling=0'], ['--ceiling=ten'], ['--strict'], ['a.ts', 'b.ts']]) {
    const r = size(...args)
    assert.equal(r.status, 2, JSON.stringify(args))
    assert.equal(
      r.stderr,
      'size: usage: node scripts/size.mjs [--ceiling=BYTES] [--why] [entry.ts]\n',
    )
  }
})

test('the check catches node: imports and the require/Buffer/process globals', (t) => {
  const entry = entryFile(
    t,
    'import { readFileSync } from "node:fs"\n' +
      'export const f = () => [readFileSync, Buffer.from("x"), process.env, require("x")]\n' +
      // Properties and methods with those names are fine.
      'export const ok = { process: 1, require() { return 2 } }\n',
  )
  const r = size(entry)
  assert.equal(r.status, 1)
  const errors = r.stderr.trim().split('\n').sort()
  assert.deepEqual(errors, [
    'size: the bundle imports node:fs',
    'size: the bundle references the global Buffer',
    'size: the bundle references the global process',
    'size: the bundle references the global require',
  ])
})
