import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseInterface, SdkError } from '@astarte-ts/sdk-core'
import { loadInterfaces } from '../../src/interfaces/load-interfaces.js'

const examples = new URL('../../../../interfaces/examples/', import.meta.url).pathname

test('a directory loads every *.json, each validated by parseInterface', async () => {
  const names = (await readdir(examples)).filter((n) => n.endsWith('.json')).sort()
  const loaded = await loadInterfaces([examples])
  assert.equal(loaded.length, names.length)
  for (const [i, name] of names.entries()) {
    const expected = parseInterface(JSON.parse(await readFile(join(examples, name), 'utf8')))
    assert.ok(expected.ok)
    assert.deepEqual(loaded[i], expected.value)
  }
})

test('files, parsed interfaces and raw JSON objects mix', async () => {
  const file = join(examples, 'org.astarte-ts.examples.Settings.json')
  const json = JSON.parse(
    await readFile(join(examples, 'org.astarte-ts.examples.Commands.json'), 'utf8'),
  )
  const parsed = parseInterface(
    JSON.parse(await readFile(join(examples, 'org.astarte-ts.examples.Telemetry.json'), 'utf8')),
  )
  assert.ok(parsed.ok)
  const loaded = await loadInterfaces([file, json, parsed.value])
  assert.deepEqual(
    loaded.map((i) => i.name),
    [
      'org.astarte-ts.examples.Settings',
      'org.astarte-ts.examples.Commands',
      'org.astarte-ts.examples.Telemetry',
    ],
  )
  assert.equal(loaded[2], parsed.value)
})

test('an invalid file, a missing path and a duplicate name are typed errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'astarte-ifaces-'))
  try {
    const bad = join(dir, 'bad.json')
    await writeFile(
      bad,
      JSON.stringify({ interface_name: 'x.Y', version_major: 0, version_minor: 0 }),
    )
    await assert.rejects(loadInterfaces([bad]), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'local.invalid_interface')
      assert.ok(e.issues.length > 0)
      assert.ok(e.message.includes(bad))
      return true
    })
    await assert.rejects(loadInterfaces([join(dir, 'missing.json')]), {
      code: 'local.invalid_interface',
    })
    const settings = join(examples, 'org.astarte-ts.examples.Settings.json')
    await assert.rejects(loadInterfaces([settings, examples]), {
      code: 'local.duplicate_interface',
    })
    await assert.rejects(loadInterfaces([{ interface_name: 'a.B' }]), {
      code: 'local.invalid_interface',
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
