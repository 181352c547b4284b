/** `astarte-device interface validate` spawned from sources on real files. */
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { interfaceIssueCodes, parseInterfaceText } from '@astarte-ts/sdk-core'
import { root, runCli } from './e2e/cli.js'
import { tempDir } from './helpers/tmp.js'

const edgehog = join(root, 'interfaces/edgehog')
const fixtures = join(root, 'sdk-core/test/fixtures/interfaces')

/** A directory with one valid, one invalid, one malformed file and one non-JSON file. */
function mixedDir(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t, 'astarte-cli-interface-')
  copyFileSync(join(fixtures, 'valid/depth-one-object.json'), join(dir, 'a-valid.json'))
  copyFileSync(join(fixtures, 'invalid/version_zero--0-0.json'), join(dir, 'b-invalid.json'))
  writeFileSync(join(dir, 'c-malformed.json'), '{"interface_name": ')
  writeFileSync(join(dir, 'notes.txt'), 'not an interface')
  return dir
}

test('validates the whole Edgehog directory: exit 0 and a summary', async () => {
  const r = await runCli(['interface', 'validate', edgehog])
  assert.equal(r.code, 0, r.stderr)
  const count = readdirSync(edgehog).filter((f) => f.endsWith('.json')).length
  assert.equal(r.stdout, `${count} valid, 0 invalid\n`)
})

test('prints FILE: PATH: message [code] per issue; exit 1 when a file is invalid', async (t) => {
  const dir = mixedDir(t)
  const missing = join(dir, 'missing.json')
  const r = await runCli(['interface', 'validate', dir, missing])
  assert.equal(r.code, 1, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines.at(-1), '1 valid, 3 invalid')
  const invalid = join(dir, 'b-invalid.json')
  const expected = parseInterfaceText(readFileSync(invalid, 'utf8'))
  assert.ok(!expected.ok)
  for (const i of expected.error) {
    assert.ok(lines.includes(`${invalid}: ${i.path}: ${i.message} [${i.code}]`), r.stdout)
  }
  assert.ok(lines.some((l) => l.startsWith(`${join(dir, 'c-malformed.json')}: (root): `)))
  assert.ok(lines.some((l) => l.endsWith('[json_syntax]')))
  const unreadable = `${missing}: (root): couldn't read the file (ENOENT) [file_unreadable]`
  assert.ok(lines.includes(unreadable), r.stdout)
  assert.ok(!r.stdout.includes('notes.txt'))
})

test('--json prints [{file, valid, issues: [{code, path, message}]}] as the library', async (t) => {
  const dir = mixedDir(t)
  const r = await runCli(['interface', 'validate', '--json', dir])
  assert.equal(r.code, 1, r.stderr)
  const report = JSON.parse(r.stdout) as { file: string; valid: boolean; issues: unknown[] }[]
  const files = ['a-valid.json', 'b-invalid.json', 'c-malformed.json'].map((f) => join(dir, f))
  assert.deepEqual(
    report,
    files.map((file) => {
      const parsed = parseInterfaceText(readFileSync(file, 'utf8'))
      return { file, valid: parsed.ok, issues: parsed.ok ? [] : parsed.error }
    }),
  )
  for (const entry of report) assert.deepEqual(Object.keys(entry), ['file', 'valid', 'issues'])
})

test('encrypted: true is valid as in Astarte, on every kind of mapping', async () => {
  const files = [
    'encrypted-true-individual-datastream.json',
    'encrypted-mixed-object.json',
    'encrypted-true-properties.json',
  ].map((f) => join(fixtures, 'valid', f))
  const r = await runCli(['interface', 'validate', '--json', ...files])
  assert.equal(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout) as { file: string; valid: boolean; issues: unknown[] }[]
  assert.deepEqual(
    report,
    files.map((file) => ({ file, valid: true, issues: [] })),
  )
})

test('usage errors exit 2', async () => {
  const cases = [
    ['interface'],
    ['interface', 'validate'],
    ['interface', 'check', edgehog],
    ['interface', 'validate', '--strict', edgehog],
  ]
  const results = await Promise.all(cases.map((args) => runCli(args)))
  results.forEach((r, i) => {
    assert.equal(r.code, 2, JSON.stringify(cases[i]))
    assert.match(r.stderr, /usage: astarte-device interface validate/)
    assert.equal(r.stdout, '')
  })
})

test('--help lists every issue code with its description', async () => {
  const r = await runCli(['interface', '--help'])
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n')
  for (const [code, what] of Object.entries(interfaceIssueCodes)) {
    assert.ok(lines.includes(`  ${code}: ${what}`), code)
  }
})
