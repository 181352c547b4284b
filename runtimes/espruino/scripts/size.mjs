// The Espruino bundle's size check, run by the root `npm run size`: the bundle plus the
// example's compiled interfaces (the "one compiled interface" of the budget), minified, under
// its ceiling, and through the ES5 gate. The goal is 40 KiB; the ceiling is a ratchet at the size
// reached (the shared core is far over the goal), so the bundle can only shrink: 128 KiB, then
// 124 KiB once the ES5 lowering took 6 KB off, 123 KiB once the generic BSON encoder left the
// device (122 118 B; the margin is the MQTT session persistence under way).
// Usage: node runtimes/espruino/scripts/size.mjs   (exit 0 fits, 1 fails)
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { buildEspruino } from './build.mjs'
import { checkEs5 } from './gate.mjs'

export const ESPRUINO_GOAL_MINIFIED = 40 * 1024
// 98 595 B (the core's cuts, the lowering's __each/__cat, shared literals, booleans, numbers,
// built-ins and `this`, UTF-8 as bytes, the prelude cut to what the bundle calls, the optional
// pieces of the driver a chip never takes left out; 2026-12-07) plus 1 KiB
export const ESPRUINO_CEILING_MINIFIED = 98_595 + 1024
const EXAMPLE_INTERFACES = new URL(
  '../../../examples/espruino-esp32/interfaces.json',
  import.meta.url,
)

/** Minified bytes of the bundle by where they come from (sdk-core's folders, this runtime). */
function breakdown(metafile) {
  const by = {}
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /sdk-core\/src\/([^/]+)/.exec(file)
      const key = m ? m[1].replace(/\.ts$/, '') : 'runtime'
      by[key] = (by[key] ?? 0) + bytesInOutput
    }
  }
  return Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
}

/** The bundle plus the example's compiled interfaces: minified and gzipped bytes (what the bench reports). */
export async function espruinoReport() {
  const { code, metafile, es2022Bytes, preludeBytes } = await buildEspruino()
  const table = readFileSync(EXAMPLE_INTERFACES, 'utf8')
  return {
    code,
    metafile,
    es2022Bytes,
    preludeBytes,
    tableBytes: Buffer.byteLength(table),
    minified: Buffer.byteLength(code) + Buffer.byteLength(table),
    gzipped: gzipSync(code + table, { level: 9 }).length,
  }
}

/** Reports the Espruino bundle; false when it is over its ceiling or fails the ES5 gate. */
export async function checkEspruino() {
  const report = await espruinoReport()
  const { code, metafile, minified, gzipped, es2022Bytes, preludeBytes, tableBytes } = report
  // what ES5 costs, less what sharing repeated words saves (both act on the same text, so apart
  // they can't be told): the script but the ES2022 bundle, the prelude and the table
  const missed = minified - ESPRUINO_GOAL_MINIFIED
  const goal = missed > 0 ? `goal ${ESPRUINO_GOAL_MINIFIED} missed by ${missed}` : 'goal met'
  console.log(
    `espruino bundle (ES5) + the example's compiled interfaces: ${minified} bytes minified, ` +
      `${gzipped} bytes gzipped (ceiling ${ESPRUINO_CEILING_MINIFIED} minified, ${goal}); ` +
      `esbuild bundle ${es2022Bytes}, prelude ${preludeBytes}, ES5 lowering less shared words ` +
      `${minified - es2022Bytes - preludeBytes - tableBytes}, interfaces ${tableBytes}; ` +
      `before lowering, by source (ES2022 minified): ${breakdown(metafile)}`,
  )
  let ok = true
  for (const p of checkEs5(code)) {
    console.error(`size: the espruino bundle fails the ES5 gate: ${p}`)
    ok = false
  }
  if (minified > ESPRUINO_CEILING_MINIFIED) {
    console.error(
      `size: the espruino bundle is ${minified} bytes minified, over its ceiling of ${ESPRUINO_CEILING_MINIFIED}`,
    )
    ok = false
  }
  return ok
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit((await checkEspruino()) ? 0 : 1)
}
