/**
 * examples/espruino-esp32 stays current: its compiled interfaces are what `interface compile`
 * makes of the example interfaces, and its program is a script an ES5 engine parses.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { compileInterface, parseInterface } from '@astarte-ts/sdk-core'

const root = new URL('../../../', import.meta.url).pathname
const example = join(root, 'examples/espruino-esp32')

test('interfaces.json holds the example interfaces, compiled', () => {
  const names = ['Telemetry', 'Settings', 'Commands']
  const compiled = names.map((n) => {
    const file = join(root, `interfaces/examples/org.astarte-ts.examples.${n}.json`)
    const parsed = parseInterface(JSON.parse(readFileSync(file, 'utf8')))
    assert.ok(parsed.ok, n)
    return compileInterface(parsed.value)
  })
  assert.deepEqual(JSON.parse(readFileSync(join(example, 'interfaces.json'), 'utf8')), compiled)
})

test('main.js is a script Duktape compiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'espruino-example-'))
  try {
    const r = spawnSync('duk', ['-c', join(dir, 'main.bin'), join(example, 'main.js')], {
      encoding: 'utf8',
    })
    assert.equal(r.status, 0, r.stderr + r.stdout)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
