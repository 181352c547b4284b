// `npm run build:esp32`: the bundles the ESP32 JavaScript engines load, one per engine, each
// the minimal device build (scripts/device-bundle.mjs) of that engine's runtime entry.
//   runtimes/moddable/dist/astarte-moddable.js  an ES module; Moddable's modules stay imports
//   runtimes/espruino/dist/astarte-espruino.js  an ES5 script (runtimes/espruino/scripts/build.mjs)
// Usage: node scripts/build-esp32.mjs
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { bundleDevice } from './device-bundle.mjs'
import { root } from './workspace.mjs'

/** The modules a Moddable manifest provides (targets.md §2.1): imports in the bundle. */
export const MODDABLE_MODULES = [
  'timer',
  'socket',
  'securesocket',
  'http',
  'preference',
  'inflate',
  'deflate',
]

export const MODDABLE_ENTRY = join(root, 'runtimes/moddable/src/index.ts')
export const MODDABLE_OUT = join(root, 'runtimes/moddable/dist/astarte-moddable.js')

/** The Moddable bundle; written to `MODDABLE_OUT` when `write`. */
export function bundleModdable(write = false) {
  return bundleDevice({
    entry: MODDABLE_ENTRY,
    external: MODDABLE_MODULES,
    ...(write ? { outfile: MODDABLE_OUT } : {}),
  })
}

/**
 * The compiled interfaces a size budget counts in: the Moddable example's three, as
 * `astarte-device interface compile` wrote them (a test keeps the file current).
 */
export function exampleCompiledInterfaces() {
  return readFileSync(join(root, 'examples/moddable-esp32/interfaces.js'), 'utf8')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { code } = await bundleModdable(true)
  console.log(`${MODDABLE_OUT}: ${Buffer.byteLength(code)} bytes`)
  // runtimes/espruino/dist/astarte-espruino.js: one ES5 script, through its syntax gate
  const espruino = await import('../runtimes/espruino/scripts/build.mjs')
  if (!(await espruino.writeEspruino())) process.exitCode = 1
}
