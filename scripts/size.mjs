// `npm run size`: bundles sdk-core's public entry as a small engine would get it (esbuild,
// platform neutral, ESM, minified, tree-shaken) and fails when the bundle needs anything from
// Node: an import (node: built-ins or any other module), `require(`, `Buffer` or `process`.
// Prints the minified and gzipped sizes. Usage: node scripts/size.mjs [entry.ts]
import { build } from 'esbuild'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { root } from './workspace.mjs'

const HOST_GLOBALS = ['require', 'Buffer', 'process']
const MARK = '__node_host_global_'

/** Bundles `entry` and lists what in it would need a Node host. */
export async function checkBundle(entry = join(root, 'sdk-core/src/index.ts')) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'neutral',
    format: 'esm',
    minify: true,
    treeShaking: true,
    write: false,
    metafile: true,
    conditions: ['@astarte-ts/source'],
    // Kept external so that they show up as violations rather than as resolution failures.
    external: ['node:*'],
    // `define` renames only free (global) uses, never properties, methods or local bindings.
    define: Object.fromEntries(HOST_GLOBALS.map((name) => [name, `${MARK}${name}`])),
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].text
  const violations = []
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports) violations.push(`imports ${imp.path}`)
  }
  for (const name of HOST_GLOBALS) {
    if (code.includes(`${MARK}${name}`)) violations.push(`references the global ${name}`)
  }
  return {
    minified: Buffer.byteLength(code),
    gzipped: gzipSync(code, { level: 9 }).length,
    violations,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const entry = process.argv[2]
  try {
    const { minified, gzipped, violations } = await checkBundle(entry)
    console.log(`sdk-core bundle: ${minified} bytes minified, ${gzipped} bytes gzipped`)
    for (const v of violations) console.error(`size: the bundle ${v}`)
    process.exit(violations.length > 0 ? 1 : 0)
  } catch (e) {
    console.error(`size: couldn't bundle: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
}
