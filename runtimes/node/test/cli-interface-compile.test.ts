/** `astarte-device interface compile` spawned from sources on real files. */
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { loadCompiledInterface, parseInterfaceText } from '@astarte-ts/sdk-core'
import { root, runCli } from './e2e/cli.js'
import { tempDir } from './helpers/tmp.js'

const examples = join(root, 'interfaces/examples')
const fixtures = join(root, 'sdk-core/test/fixtures/interfaces')
const telemetry = join(examples, 'org.astarte-ts.examples.Telemetry.json')

test('compiles a directory to JSON tables that load as the validated interfaces', async (t) => {
  const out = join(tempDir(t, 'astarte-cli-compile-'), 'interfaces.json')
  const r = await runCli(['interface', 'compile', examples, '-o', out])
  assert.equal(r.code, 0, r.stderr)
  const tables = JSON.parse(readFileSync(out, 'utf8')) as unknown[]
  // every file of the directory, in the directory's order
  const files = readdirSync(examples)
    .filter((f) => f.endsWith('.json'))
    .sort()
  const parsed = files.map((f) => {
    const p = parseInterfaceText(readFileSync(join(examples, f), 'utf8'))
    assert.ok(p.ok, f)
    return p.value
  })
  assert.ok(parsed.length >= 5)
  assert.deepEqual(
    tables.map((table) => loadCompiledInterface(table).name),
    parsed.map((i) => i.name),
  )
  tables.forEach((table, i) => {
    const loaded = loadCompiledInterface(table)
    assert.deepEqual(
      loaded.mappings.map((m) => [m.endpoint, m.type, m.reliability, m.retention]),
      parsed[i]?.mappings.map((m) => [m.endpoint, m.type, m.reliability, m.retention]),
    )
  })
})

test('-o FILE.js writes an ES module whose default export is the tables', async (t) => {
  const out = join(tempDir(t, 'astarte-cli-compile-'), 'interfaces.js')
  const r = await runCli(['interface', 'compile', telemetry, '-o', out])
  assert.equal(r.code, 0, r.stderr)
  const module = (await import(pathToFileURL(out).href)) as { default: unknown[] }
  assert.equal(loadCompiledInterface(module.default[0]).name, 'org.astarte-ts.examples.Telemetry')
})

test('an invalid file: exit 1 with its issues, nothing written', async (t) => {
  const dir = tempDir(t, 'astarte-cli-compile-')
  const bad = join(dir, 'bad.json')
  copyFileSync(join(fixtures, 'invalid/version_zero--0-0.json'), bad)
  const out = join(dir, 'out.json')
  const r = await runCli(['interface', 'compile', telemetry, bad, '-o', out])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /\[version_zero\]/)
  assert.ok(!existsSync(out))
})

test('compile without -o, or -o with validate: usage error', async () => {
  assert.equal((await runCli(['interface', 'compile', telemetry])).code, 2)
  assert.equal((await runCli(['interface', 'validate', telemetry, '-o', 'x.json'])).code, 2)
})
