/** `astarte-fleet`'s own flags: --help, --version, and usage errors (exit 2, no run). */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { root } from './helpers/fleet-cli.js'

const cli = (...args: string[]) =>
  spawnSync(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', 'tools/fleet/src/cli/run.ts', ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ASTARTE_PAIRING_JWT: '' } },
  )

test('--help prints the usage on stdout, exit 0', () => {
  const r = cli('--help')
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /^usage: astarte-fleet --devices N --interfaces DIR/)
  assert.match(r.stdout, /--pairing-url URL --realm R --jwt TOKEN/)
})

test("--version prints the package's version", () => {
  const r = cli('--version')
  const manifest = JSON.parse(readFileSync(join(root, 'tools/fleet/package.json'), 'utf8')) as {
    version: string
  }
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, `${manifest.version}\n`)
})

test('a missing or bad flag is a usage error: exit 2, the reason on stderr', () => {
  const missing = cli('--devices', '3')
  assert.equal(missing.status, 2)
  assert.match(missing.stderr, /^astarte-fleet: --interfaces is required/)
  const bad = cli('--devices', 'many', '--interfaces', 'x')
  assert.equal(bad.status, 2)
  assert.match(bad.stderr, /--devices must be a number ≥ 1/)
  const unknown = cli('--devices', '3', '--warp', '9')
  assert.equal(unknown.status, 2)
  assert.match(unknown.stderr, /--warp/)
})
