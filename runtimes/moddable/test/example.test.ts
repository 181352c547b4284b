/**
 * examples/moddable-esp32 stays buildable: its compiled interfaces are what `astarte-device
 * interface compile` makes of the example interfaces today, and its app imports only what the
 * bundle exports.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { compileInterface, parseInterfaceText } from '@astarte-ts/sdk-core'
import { esp32Build, root } from './xs/xs-device.js'

const example = join(root, 'examples/moddable-esp32')

test('the compiled interfaces of the example are current', async () => {
  const names = ['Telemetry', 'Settings', 'Commands']
  const fresh = await Promise.all(
    names.map(async (n) => {
      const file = join(root, `interfaces/examples/org.astarte-ts.examples.${n}.json`)
      const parsed = parseInterfaceText(await readFile(file, 'utf8'))
      assert.ok(parsed.ok)
      return compileInterface(parsed.value)
    }),
  )
  const module = (await import(pathToFileURL(join(example, 'interfaces.js')).href)) as {
    default: unknown
  }
  assert.deepEqual(module.default, fresh)
})

test('the example imports what the bundle exports', async () => {
  const { metafile } = (await (await esp32Build()).bundleModdable()) as unknown as {
    metafile: { outputs: Record<string, { exports: string[] }> }
  }
  const exported = new Set(Object.values(metafile.outputs).flatMap((o) => o.exports))
  const main = await readFile(join(example, 'main.js'), 'utf8')
  const imported = /import \{ ([^}]+) \} from ['"]astarte-moddable['"]/.exec(main)?.[1]
  assert.ok(imported !== undefined)
  for (const name of imported.split(',').map((s) => s.trim())) {
    assert.ok(exported.has(name), `${name} is not exported`)
  }
})
