// Builds the C library's unit tests and fuzz driver (host, ASan + UBSan, gcc or clang), the
// example sensor firmware for the host (a Linux process on a pty) and for QEMU's mps2-an385
// (Cortex-M3), and measures the library's Cortex-M code size. Outputs go to build/ (ignored by
// git); every output is written under a temporary name and renamed, so that concurrent builds
// never run each other's half-written files.
// Usage: node firmware-bridge/c/build.mjs [test-gcc] [test-clang] [host] [qemu] [size]
//   (no target: all of them; `size` prints the library's text bytes per source file)
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { vectorsHeader } from './vectors-header.mjs'

export const C_DIR = dirname(fileURLToPath(import.meta.url))
export const BUILD_DIR = join(C_DIR, 'build')
const EXAMPLE = join(C_DIR, 'examples/qemu-mps2')

/** The warnings the library must compile under, with gcc and clang alike. */
export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic']
// -O0: these builds run briefly; compile time is what a loaded machine feels
const SANITIZE = ['-g', '-O0', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']
/** How the library is measured and built for Cortex-M. */
export const ARM = ['-Os', '-mcpu=cortex-m3', '-mthumb', '-ffunction-sections', '-fdata-sections']

/** The library's text-size ceiling on Cortex-M3 (its goal: 8 KiB); `npm run size` enforces it. */
export const LIBRARY_TEXT_CEILING = 8 * 1024

/** The library's sources (src/*.c), absolute paths, in a stable order. */
export function librarySources() {
  return cSources(join(C_DIR, 'src'))
}

function cSources(dir) {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.c'))
    .sort()
    .map((n) => join(dir, n))
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: C_DIR, encoding: 'utf8', stdio: 'pipe' })
  } catch (e) {
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`
    throw new Error(`couldn't run ${cmd} ${args.join(' ')}:\n${out || e.message}`)
  }
}

const execAsync = promisify(execFile)

async function runAsync(cmd, args) {
  try {
    await execAsync(cmd, args, { cwd: C_DIR, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  } catch (e) {
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`
    throw new Error(`couldn't run ${cmd} ${args.join(' ')}:\n${out || e.message}`)
  }
}

/** Runs `build(tmpPath)` then renames the result to `out`. */
function produce(out, build) {
  mkdirSync(dirname(out), { recursive: true })
  const tmp = `${out}.${process.pid}.tmp`
  try {
    build(tmp)
    renameSync(tmp, out)
  } finally {
    rmSync(tmp, { force: true })
  }
  return out
}

/**
 * Builds the unit tests, the fuzz driver and the CBOR echo (test/cbor_echo.c) with `cc` (gcc or
 * clang) under ASan and UBSan: every source compiled once (in parallel), then the programs
 * linked. The golden frames of ../vectors are compiled in as a generated header.
 */
export async function buildTests(cc) {
  const dir = join(BUILD_DIR, `test-${cc}`)
  mkdirSync(dir, { recursive: true })
  produce(join(dir, 'vectors.h'), (tmp) => writeFileSync(tmp, vectorsHeader()))
  const include = ['-I', join(C_DIR, 'include'), '-I', join(C_DIR, 'test'), '-I', dir]
  const sources = [...librarySources(), ...cSources(join(C_DIR, 'test'))]
  const objects = await Promise.all(
    sources.map(async (src) => {
      const obj = join(
        dir,
        src
          .slice(C_DIR.length + 1)
          .replace(/\//g, '-')
          .replace(/\.c$/, '.o'),
      )
      const tmp = `${obj}.${process.pid}.tmp`
      await runAsync(cc, [...STRICT, ...SANITIZE, ...include, '-c', src, '-o', tmp])
      renameSync(tmp, obj)
      return obj
    }),
  )
  // the fuzz driver drives a device through the test board (fake.c) and the golden HELLO_ACK
  const common = objects.filter((o) => !/test-(test_main|fuzz|cbor_echo)\.o$/.test(o))
  const link = (main, name) =>
    produce(join(dir, name), (tmp) =>
      run(cc, [...SANITIZE, ...common, objects.find((o) => o.endsWith(main)), '-lm', '-o', tmp]),
    )
  return {
    unit: link('test-test_main.o', 'unit'),
    fuzz: link('test-fuzz.o', 'fuzz'),
    echo: link('test-cbor_echo.o', 'cbor-echo'),
  }
}

/** The example firmware as a Linux process (build/host/firmware); see examples/qemu-mps2. */
export function buildHostFirmware(cc = 'gcc') {
  const sources = [...librarySources(), join(EXAMPLE, 'app.c'), join(EXAMPLE, 'board-host.c')]
  return produce(join(BUILD_DIR, 'host/firmware'), (tmp) =>
    run(cc, [
      ...STRICT,
      '-D_XOPEN_SOURCE=700',
      '-D_DEFAULT_SOURCE',
      '-O2',
      '-g',
      '-I',
      join(C_DIR, 'include'),
      ...sources,
      '-o',
      tmp,
    ]),
  )
}

/** The example firmware for QEMU's mps2-an385 (build/qemu/firmware.elf). */
export function buildQemuFirmware() {
  const sources = [
    ...librarySources(),
    join(EXAMPLE, 'app.c'),
    join(EXAMPLE, 'board-mps2.c'),
    join(EXAMPLE, 'startup-mps2.c'),
  ]
  return produce(join(BUILD_DIR, 'qemu/firmware.elf'), (tmp) =>
    run('arm-none-eabi-gcc', [
      ...STRICT,
      ...ARM,
      '-g',
      '-nostartfiles',
      '--specs=nano.specs',
      '--specs=nosys.specs',
      '-Wl,--gc-sections',
      '-T',
      join(EXAMPLE, 'mps2-an385.ld'),
      '-I',
      join(C_DIR, 'include'),
      ...sources,
      '-o',
      tmp,
    ]),
  )
}

/**
 * The library's code size on Cortex-M3 (`-Os -mthumb`): text bytes (code and read-only data)
 * of each object and in total, as arm-none-eabi-size counts them.
 */
export function armLibrarySize() {
  const dir = join(BUILD_DIR, 'size')
  mkdirSync(dir, { recursive: true })
  const files = librarySources().map((src) => {
    const obj = join(dir, src.slice(src.lastIndexOf('/') + 1).replace(/\.c$/, '.o'))
    produce(obj, (tmp) =>
      run('arm-none-eabi-gcc', [
        ...STRICT,
        ...ARM,
        '-I',
        join(C_DIR, 'include'),
        '-c',
        src,
        '-o',
        tmp,
      ]),
    )
    return obj
  })
  // Berkeley format: text data bss dec hex filename
  const lines = run('arm-none-eabi-size', files).trim().split('\n').slice(1)
  const perFile = lines.map((l) => {
    const [text, data, bss, , , file] = l.trim().split(/\s+/)
    return { file: file.slice(file.lastIndexOf('/') + 1), text: +text, data: +data, bss: +bss }
  })
  return { text: perFile.reduce((n, f) => n + f.text, 0), perFile }
}

/**
 * How to run the QEMU firmware: the serial port on a pty (QEMU prints "char device redirected to
 * /dev/pts/N"), no monitor, and semihosting carrying the firmware's command line (`words`, e.g.
 * boot=3, bootfile=PATH, period=50) and its log lines to QEMU's stdout.
 */
export function qemuArgs(elf, words = []) {
  const semihosting = [
    'enable=on',
    'target=native',
    'arg=firmware',
    ...words.map((w) => `arg=${w}`),
  ]
  return [
    '-M',
    'mps2-an385',
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    'pty',
    '-semihosting-config',
    semihosting.join(','),
    '-kernel',
    elf,
  ]
}

const TARGETS = {
  'test-gcc': async () => console.log(await buildTests('gcc')),
  'test-clang': async () => console.log(await buildTests('clang')),
  host: () => console.log(buildHostFirmware()),
  qemu: () => console.log(buildQemuFirmware()),
  size: () => {
    const { text, perFile } = armLibrarySize()
    for (const f of perFile) console.log(`${f.file}: ${f.text}`)
    console.log(`total text: ${text}`)
  },
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const asked = process.argv.slice(2)
  const unknown = asked.filter((t) => !(t in TARGETS))
  if (unknown.length > 0) {
    console.error(
      `build: unknown target ${unknown.join(', ')} (known: ${Object.keys(TARGETS).join(', ')})`,
    )
    process.exit(2)
  }
  try {
    for (const t of asked.length === 0 ? Object.keys(TARGETS) : asked) await TARGETS[t]()
  } catch (e) {
    console.error(`build: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
}
