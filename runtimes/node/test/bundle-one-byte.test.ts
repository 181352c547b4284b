/**
 * The runtime's bundle is Latin-1 text. V8 keeps a script's source for the life of the process
 * (lazy functions compile from it), one byte per character only while no character is above
 * U+00FF: a single em dash in a comment esbuild keeps made the 660 KB of `runtime.cjs` a two-byte
 * string, 0.63 MiB more live heap in every device process.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build } from 'esbuild'

const entry = new URL('../src/index.ts', import.meta.url).pathname

test("the runtime bundle's source has no character above U+00FF", async () => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    conditions: ['@astarte-ts/source'],
    external: ['@astarte-ts/sdk-core', '@peculiar/x509', 'reflect-metadata', 'ws', 'socks'],
    logLevel: 'silent',
  })
  const text = result.outputFiles[0]?.text ?? ''
  assert.ok(text.length > 100_000, 'bundled')
  const wide = [...text.matchAll(/[^\u0000-\u00ff]/gu)].map((m) => {
    const at = m.index
    return `${JSON.stringify(m[0])} in ...${text.slice(Math.max(0, at - 60), at + 10)}`
  })
  assert.deepEqual(wide, [])
})
