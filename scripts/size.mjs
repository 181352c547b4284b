// `npm run size`: bundles sdk-core as a small engine would get it (esbuild, platform neutral, ESM,
// minified, tree-shaken) and fails when a bundle needs anything from Node (an import of node:
// built-ins or any other module, `require(`, `Buffer` or `process`) or when the whole public entry
// is over its gzipped ceiling. Also reports the minimal device: only what a microcontroller
// device imports. Each line says how much of its bundle is the interface validator. Then the ESP32
// engines' bundles as `npm run build:esp32` makes them (scripts/build-esp32.mjs), with one compiled
// interfaces (the example's), under their minified ceilings.
// Usage: node scripts/size.mjs [--ceiling=BYTES] [--why] [entry.ts]  (exit 0 fits, 1 fails, 2 usage)
//   no entry: sdk-core's public entry under WHOLE_CEILING_GZIPPED (its goal, CEILING_GZIPPED,
//   reported), then the minimal device under CEILING_GZIPPED
//   an entry: that bundle alone, under --ceiling when given
//   --why: after each sdk-core line, where its bytes are (modules, largest files, sentences)
import { build } from 'esbuild'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { root } from './workspace.mjs'
import { bundleModdable, exampleCompiledInterfaces, MODDABLE_MODULES } from './build-esp32.mjs'
import { checkEspruino } from '../runtimes/espruino/scripts/size.mjs'
import { LIBRARY_TEXT_CEILING, armLibrarySize } from '../firmware-bridge/c/build.mjs'

/**
 * What a microcontroller device loads must fit in 36 KiB gzipped (ESP32 budgets): the minimal
 * device's ceiling, and the goal for the whole neutral sdk-core bundle.
 */
export const CEILING_GZIPPED = 36 * 1024
/**
 * The whole bundle is over that goal (the driver, the session transport and store transactions
 * came in together). Sharing what was written twice (date-time grammar, value rules, type
 * tables, BSON's 64-bit scratch) and dropping namespace imports (each one a getter object in the bundle)
 * took it from 42.2 to 41.7 KB; what remains is code every device runs (`--why`: the device
 * machine, MQTT, pairing, driver, values, BSON) and about 5 KB of messages (their `code`,
 * `ctx` and sentence are the product's error reporting). This ceiling is a ratchet: lower it
 * whenever the bundle shrinks. Raised once, from 41 to 42 KiB, for a feature and not for drift:
 * the MQTT session kept across reboots (`MqttSessionStore`, +410 B gzipped), which the ESP32
 * runtimes need so that a `unique` value in flight at a reboot arrives once. Lowered to 41.5 KiB
 * once the device, driver, MQTT and pairing modules lost what they wrote twice (42 093 B), and to
 * 41 KiB once the pairing machine, the device machine's timers, the issue constructors and the
 * session transport lost theirs, and the entry's modules were ordered as they gzip smallest
 * (41 712 B). 41 447 B plus 256 once logic written once in two shapes went (a second UTF-8 and
 * BSON key reader, switches over reliabilities and retentions, an array type listed beside its
 * scalar, …). 41 337 B plus 256 once the MQTT, BSON and pairing modules lost more of that
 * (-427 B), less what the chip builds' optional pieces cost the whole entry (+394 B: their
 * wrappers and refusals, less what writing them as the pieces' own methods won back). 41 188 B
 * plus 256 once the mapping parser read its optional fields from one table and values were
 * written and stamped by one path (-173 B).
 */
export const WHOLE_CEILING_GZIPPED = 41_188 + 256

/**
 * The Moddable bundle (core subset, session, BSON, pairing, adapters) plus compiled interfaces,
 * minified: its goal is 60 KiB (ESP32 flash and heap budgets). Sentence stripping and property
 * mangling took it from 121 KB to 105 KB, and writing the capabilities document directly (the
 * generic BSON encoder was there for it alone) to 103.6 KB; what remains is code the device runs
 * (see runtimes/moddable/README.md), so until the core itself shrinks this ceiling, a ratchet at
 * the size reached, keeps it from growing. 94 KiB once the core's cuts and the build's shared
 * literals and `this` (scripts/device-bundle.mjs) took it to 95 588 B; 93 KiB at 94 434 B; 90 KiB
 * at 91 382 B (the core's cuts; the build sharing `""`, booleans, numbers and built-ins, and
 * shortening the core's destructured members). 87 KiB at 88 344 B: the paths a chip never takes
 * became optional pieces the runtime passes (runtimes/moddable/README.md, "What a chip build
 * leaves out") and the core lost more of what it wrote twice; 86.5 KiB at 88 107 B.
 */
export const MODDABLE_GOAL_MINIFIED = 60 * 1024
export const MODDABLE_CEILING_MINIFIED = 86.5 * 1024

const SDK_CORE = join(root, 'sdk-core/src')

/** What a microcontroller device imports from sdk-core's public entry, and nothing else. */
export const MINIMAL_DEVICE = [
  'DeviceMachine',
  'PairingMachine',
  'MqttSession',
  'encodeBson',
  'decodeBson',
  'DeviceDriver',
]

// The device resolves every path it sends or receives; the rest of the interface module parses
// and validates interface documents, with a message per rule.
const INTERFACE_DIR = 'sdk-core/src/interface/'
const PATH_RESOLUTION = `${INTERFACE_DIR}resolve.ts`

const HOST_GLOBALS = ['require', 'Buffer', 'process']
const MARK = '__node_host_global_'

/**
 * Bundles `entry` (a file, or `{ contents }` resolved from sdk-core/src) and lists what in it
 * would need a Node host; `inputs` maps each source file to its bytes in the minified output.
 */
export async function checkBundle(entry = join(SDK_CORE, 'index.ts')) {
  const source =
    typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: SDK_CORE, loader: 'ts' } }
  const result = await build({
    ...source,
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
  const inputs = {}
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports) violations.push(`imports ${imp.path}`)
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      inputs[file] = (inputs[file] ?? 0) + bytesInOutput
    }
  }
  for (const name of HOST_GLOBALS) {
    if (code.includes(`${MARK}${name}`)) violations.push(`references the global ${name}`)
  }
  return {
    code,
    minified: Buffer.byteLength(code),
    gzipped: gzipSync(code, { level: 9 }).length,
    violations,
    inputs,
  }
}

/** Minified bytes of the interface module but path resolution, from `checkBundle`'s `inputs`. */
export function validatorBytes(inputs) {
  let bytes = 0
  for (const [file, n] of Object.entries(inputs)) {
    if (file.startsWith(INTERFACE_DIR) && file !== PATH_RESOLUTION) bytes += n
  }
  return bytes
}

/** What fails a bundle (`what` names it): its violations, its gzipped size over `ceiling`. */
export function problems({ gzipped, violations }, ceiling, what = 'the bundle') {
  const found = violations.map((v) => `${what} ${v}`)
  if (ceiling !== undefined && gzipped > ceiling) {
    found.push(`${what} is ${gzipped} bytes gzipped, over its ceiling of ${ceiling}`)
  }
  return found
}

/**
 * One report line: sizes, the ceiling when there is one (and a goal under it, met or by how
 * much not), and the interface validator's share.
 */
export function describe(name, bundle, ceiling, goal) {
  const missed = goal === undefined ? 0 : bundle.gzipped - goal
  const target =
    goal === undefined
      ? ''
      : missed > 0
        ? `, goal ${goal} missed by ${missed}`
        : `, goal ${goal} met`
  const limit = ceiling === undefined ? '' : ` (ceiling ${ceiling}${target})`
  const validator = validatorBytes(bundle.inputs)
  const share = ((100 * validator) / bundle.minified).toFixed(1)
  return (
    `${name}: ${bundle.minified} bytes minified, ${bundle.gzipped} bytes gzipped${limit}; ` +
    `interface validator ${validator} bytes minified (${share} %)`
  )
}

// A string or template literal with a space in the minified code: a message sentence, roughly.
const SENTENCE = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g

/**
 * `--why`: where a bundle's bytes are, as lines to print: minified bytes per sdk-core module and
 * of its largest files (from `inputs`), and about how many gzipped bytes its sentences take.
 */
export function why(bundle) {
  const modules = {}
  for (const [file, n] of Object.entries(bundle.inputs)) {
    const module = file.split('/').slice(0, 3).join('/')
    modules[module] = (modules[module] ?? 0) + n
  }
  const largest = (bytes, count) =>
    Object.entries(bytes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([file, n]) => `${file.replace('sdk-core/src/', '')} ${n}`)
      .join(', ')
  const plain = bundle.code.replace(SENTENCE, (s) => (s.includes(' ') ? '""' : s))
  const sentences = bundle.gzipped - gzipSync(plain, { level: 9 }).length
  return [
    `  by module, minified: ${largest(modules, 20)}`,
    `  largest files, minified: ${largest(bundle.inputs, 15)}`,
    `  sentences (literals with a space): about ${sentences} bytes of the gzipped size`,
  ]
}

const USAGE = 'usage: node scripts/size.mjs [--ceiling=BYTES] [--why] [entry.ts]'

/** Parses the arguments; `undefined` when they are not `[--ceiling=BYTES] [--why] [entry]`. */
export function parseArgs(args) {
  let ceiling
  let entry
  let explain = false
  for (const arg of args) {
    if (arg === '--why') {
      explain = true
    } else if (arg.startsWith('--ceiling=')) {
      ceiling = Number(arg.slice('--ceiling='.length))
      if (!Number.isSafeInteger(ceiling) || ceiling <= 0) return undefined
    } else if (arg.startsWith('-') || entry !== undefined) {
      return undefined
    } else {
      entry = arg
    }
  }
  return { ceiling, entry, why: explain }
}

/**
 * The MCU library of firmware-bridge (C99), as arm-none-eabi-gcc -Os -mcpu=cortex-m3 -mthumb
 * builds it: its text bytes (code and constants) under LIBRARY_TEXT_CEILING, its 8 KiB goal.
 */
function checkFirmwareLibrary() {
  const { text, perFile } = armLibrarySize()
  const files = perFile.map((f) => `${f.file} ${f.text}`).join(', ')
  console.log(
    `firmware-bridge C library (Cortex-M3, -Os -mthumb): ${text} bytes of text ` +
      `(ceiling ${LIBRARY_TEXT_CEILING}); ${files}`,
  )
  if (text <= LIBRARY_TEXT_CEILING) return true
  console.error(
    `size: the C library is ${text} bytes of text, over its ceiling of ${LIBRARY_TEXT_CEILING}`,
  )
  return false
}

async function main({ ceiling, entry, why: explain }) {
  const minimal = `export { ${MINIMAL_DEVICE.join(', ')} } from './index.js'\n`
  const targets =
    entry === undefined
      ? [
          {
            name: 'sdk-core bundle',
            what: 'the bundle',
            ceiling: ceiling ?? WHOLE_CEILING_GZIPPED,
            goal: CEILING_GZIPPED,
          },
          {
            name: `minimal device (${MINIMAL_DEVICE.join(', ')})`,
            what: 'the minimal device bundle',
            entry: { contents: minimal },
            ceiling: CEILING_GZIPPED,
          },
        ]
      : [{ name: 'sdk-core bundle', what: 'the bundle', entry, ceiling }]
  const bundles = await Promise.all(targets.map((t) => checkBundle(t.entry)))
  let failed = false
  targets.forEach((t, i) => {
    console.log(describe(t.name, bundles[i], t.ceiling, t.goal))
    if (explain) for (const line of why(bundles[i])) console.log(line)
    for (const p of problems(bundles[i], t.ceiling, t.what)) {
      console.error(`size: ${p}`)
      failed = true
    }
  })
  if (entry === undefined && !(await checkModdable())) failed = true
  if (entry === undefined && !(await checkEspruino())) failed = true
  if (entry === undefined && !checkFirmwareLibrary()) failed = true
  return failed ? 1 : 0
}

/**
 * The Moddable bundle's report line and what fails it: over its ceiling, or an import of
 * anything but a Moddable module.
 */
export async function moddableReport() {
  const { code, metafile } = await bundleModdable()
  const table = exampleCompiledInterfaces()
  const minified = Buffer.byteLength(code) + Buffer.byteLength(table)
  const gzipped = gzipSync(code + table, { level: 9 }).length
  const missed = minified - MODDABLE_GOAL_MINIFIED
  const goal = missed > 0 ? `goal ${MODDABLE_GOAL_MINIFIED} missed by ${missed}` : 'goal met'
  const line =
    `moddable bundle + the example's compiled interfaces: ${minified} bytes minified, ` +
    `${gzipped} bytes gzipped (ceiling ${MODDABLE_CEILING_MINIFIED} minified, ${goal})`
  const found = []
  for (const output of Object.values(metafile.outputs)) {
    for (const { path } of output.imports) {
      if (!MODDABLE_MODULES.includes(path)) {
        found.push(`the moddable bundle imports ${path}, not a Moddable module`)
      }
    }
  }
  if (minified > MODDABLE_CEILING_MINIFIED) {
    found.push(
      `the moddable bundle is ${minified} bytes minified, over its ceiling of ${MODDABLE_CEILING_MINIFIED}`,
    )
  }
  return { line, minified, gzipped, problems: found }
}

/** Prints the Moddable bundle's report; false when it fails. */
async function checkModdable() {
  const report = await moddableReport()
  console.log(report.line)
  for (const p of report.problems) console.error(`size: ${p}`)
  return report.problems.length === 0
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2))
  if (args === undefined) {
    console.error(`size: ${USAGE}`)
    process.exit(2)
  }
  try {
    process.exit(await main(args))
  } catch (e) {
    console.error(`size: couldn't bundle: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
}
