/**
 * The XS engine in a child process: `xsnap-worker`, built from the XS sources of
 * `@agoric/xsnap` on first use (the project denies its install script, so that `npm install`
 * compiles nothing; the tests compile the engine as they compile the bridge's C), driven over its
 * netstring pipes (fd 3 to the engine, fd 4 from it) without the package's SES-locked Node API.
 * `evaluate` runs a script; `send` hands the engine's `handleCommand` a message; the engine's
 * synchronous `issueCommand` calls reach `onQuery`, whose return value is its answer. One exchange
 * at a time, in order; each reports XS's meters.
 *
 * The engine has the stack a device has: the package's worker is built with 4096 slots (a literal
 * in `xsnap-worker.c`, no option), four times the manifest's `creation.stack`; a depth or a
 * spread that fits there could abort a device. So the worker is built from a copy of the package's
 * worker sources whose stack count is the manifest's, and XS aborts here where it would there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Readable, Writable } from 'node:stream'

const xsnapPackage = dirname(createRequire(import.meta.url).resolve('@agoric/xsnap/package.json'))
const manifest = new URL('../../manifest.json', import.meta.url)

/** The XS stack of a device, in slots: the manifest's `creation.stack`. */
export const DEVICE_STACK_SLOTS = (
  JSON.parse(readFileSync(manifest, 'utf8')) as { creation: { stack: number } }
).creation.stack

const workerBuild = join(xsnapPackage, `astarte-ts-worker-stack-${DEVICE_STACK_SLOTS}`)
const worker = join(workerBuild, 'build/bin/lin/release/xsnap-worker')
// written once the build ended: a test file starting while the linker writes the worker waits
// for the lock instead of running a partial binary
const built = join(workerBuild, 'built')

/**
 * Builds `xsnap-worker` when it is missing (about a minute on two cores): the package's worker
 * sources copied with the stack count replaced, compiled by the package's makefile as its own
 * build does (same XS sources, options and `CC`) into a directory of its own, leaving the
 * package's build untouched. The replacement is checked: sources that no longer hold the literal
 * fail the build instead of leaving 4096 slots. `flock` keeps test files that start together
 * from building it twice.
 */
function ensureWorker(): void {
  if (existsSync(built)) return
  const { version } = JSON.parse(readFileSync(join(xsnapPackage, 'package.json'), 'utf8')) as {
    version: string
  }
  const script = String.raw`set -e
test -e "$BUILT" && exit 0
rm -rf "$OUT"
mkdir -p "$OUT/build/bin/lin/release" "$OUT/build/tmp/lin/release/xsnap-worker"
cp -R "$PKG/xsnap-native/xsnap/sources" "$OUT/sources"
sed -i "s|^\([[:space:]]*\)4096,\([[:space:]]*/\* stackCount \*/\)|\1$SLOTS,\2|" "$OUT/sources/xsnap-worker.c"
grep -q "^[[:space:]]*$SLOTS,[[:space:]]*/\* stackCount \*/" "$OUT/sources/xsnap-worker.c"
cd "$PKG/xsnap-native/xsnap/makefiles/lin"
make -j"$(nproc)" -f xsnap-worker.mk MODDABLE="$PKG/moddable" GOAL=release \
  XSNAP_VERSION="$VERSION" CC='cc "-D__has_builtin(x)=1"' BUILD_DIR="$OUT/build" TLS_DIR="$OUT/sources"
test -x "$WORKER"
touch "$BUILT"
`
  const build = spawnSync(
    'flock',
    [join(xsnapPackage, '.astarte-ts-build.lock'), 'sh', '-c', script],
    {
      env: {
        ...process.env,
        PKG: xsnapPackage,
        OUT: workerBuild,
        WORKER: worker,
        BUILT: built,
        SLOTS: String(DEVICE_STACK_SLOTS),
        VERSION: version,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  if (build.status !== 0 || !existsSync(built)) {
    throw new Error(`couldn't build xsnap-worker in ${workerBuild} (exit ${build.status})`)
  }
}

/** What XS reports after each exchange (see xsnap-worker.c). */
export interface XsMeters {
  /** Bytes of chunk and slot heap the machine has allocated. */
  readonly allocate?: number
  readonly currentHeapCount?: number
  readonly compute?: number
}

/** Why `xsnap-worker` ended, by exit status (its `E_*` codes, xsnap-worker.c): XS aborted. */
const ABORTS: Record<number, string> = {
  11: 'memory full',
  12: 'stack overflow',
  15: 'unhandled exception',
  16: 'no more keys',
  17: 'too much computation',
}

interface Exchange {
  readonly bytes: Buffer
  readonly resolve: (meters: XsMeters) => void
  readonly reject: (error: Error) => void
}

export class XsnapProcess {
  readonly #child: ChildProcess
  readonly #toXs: Writable
  readonly #queue: Exchange[] = []
  #current: Exchange | undefined
  #input = Buffer.alloc(0)
  #exited: Error | undefined
  /** The most heap slots in use at the end of an exchange, and at the end of the last one. */
  peakHeapCount = 0
  heapCount = 0

  /**
   * `onExit` hears when the worker ends other than by `close` (an abort ends it without a word
   * on the pipes): what waits on the engine would otherwise wait for good.
   */
  constructor(
    onQuery: (message: Buffer) => Buffer,
    options: { stdout?: boolean; onExit?: (error: Error) => void } = {},
  ) {
    ensureWorker()
    this.#child = spawn(worker, ['astarte-moddable-test', '-l', '1000000000'], {
      stdio: ['ignore', options.stdout === true ? 'inherit' : 'ignore', 'inherit', 'pipe', 'pipe'],
    })
    const stdio = this.#child.stdio as unknown as [null, null, null, Writable, Readable]
    this.#toXs = stdio[3]
    // the pipes break when the worker ends; its exit says so
    this.#toXs.on('error', () => undefined)
    stdio[4].on('error', () => undefined)
    stdio[4].on('data', (chunk: Buffer) => {
      this.#input = Buffer.concat([this.#input, chunk])
      for (let m = this.#next(); m !== undefined; m = this.#next()) this.#onMessage(m, onQuery)
    })
    this.#child.on('exit', (code, signal) => {
      const why = code === null ? signal : `${code}${code in ABORTS ? `: ${ABORTS[code]}` : ''}`
      const closing = this.#closing
      this.#exited = new Error(`xsnap-worker exited (${why})`)
      if (!closing) options.onExit?.(this.#exited)
      this.#current?.reject(this.#exited)
      for (const e of this.#queue.splice(0)) e.reject(this.#exited)
    })
  }

  /** The next whole netstring read, if any. */
  #next(): Buffer | undefined {
    const colon = this.#input.indexOf(0x3a)
    if (colon < 0) return undefined
    const length = Number(this.#input.subarray(0, colon).toString())
    if (this.#input.length < colon + 1 + length + 1) return undefined
    const message = this.#input.subarray(colon + 1, colon + 1 + length)
    this.#input = this.#input.subarray(colon + 2 + length)
    return message
  }

  #write(bytes: Buffer): void {
    this.#toXs.write(Buffer.concat([Buffer.from(`${bytes.length}:`), bytes, Buffer.from(',')]))
  }

  #onMessage(message: Buffer, onQuery: (message: Buffer) => Buffer): void {
    const kind = String.fromCharCode(message[0] ?? 0)
    if (kind === '?') {
      this.#write(Buffer.concat([Buffer.from('/'), onQuery(message.subarray(1))]))
      return
    }
    const current = this.#current
    this.#current = undefined
    if (kind === '.') {
      const separator = message.indexOf(1)
      const meters =
        separator > 0 ? (JSON.parse(message.subarray(1, separator).toString()) as XsMeters) : {}
      this.heapCount = meters.currentHeapCount ?? this.heapCount
      this.peakHeapCount = Math.max(this.peakHeapCount, this.heapCount)
      current?.resolve(meters)
    } else {
      current?.reject(new Error(`XS: ${message.subarray(1).toString()}`))
    }
    this.#pump()
  }

  #pump(): void {
    if (this.#current !== undefined) return
    if (this.#closing) return this.#idle?.()
    const next = this.#queue.shift()
    if (next === undefined) return
    this.#current = next
    this.#write(next.bytes)
  }

  #exchange(bytes: Buffer): Promise<XsMeters> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited)
    if (this.#closing) return Promise.reject(new Error('closed'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ bytes, resolve, reject })
      this.#pump()
    })
  }

  /** Runs `code` as a script; resolves once it and the promise jobs it queued ran. */
  evaluate(code: string): Promise<XsMeters> {
    return this.#exchange(Buffer.from(`e${code}`))
  }

  /** Calls the engine's `handleCommand` with `message`. */
  send(message: string): Promise<XsMeters> {
    return this.#exchange(Buffer.from(`?${message}`))
  }

  #closing = false
  #idle: (() => void) | undefined

  async close(): Promise<void> {
    if (this.#exited !== undefined) return
    this.#closing = true
    const exited = new Promise((r) => this.#child.once('exit', r))
    // a worker still busy is ended
    const timer = setTimeout(() => this.#child.kill(), 2000)
    // `q` asks the worker to quit, once the exchange under way ended: written during one, it was
    // read as the answer to the engine's query, and our answer as a command ("Unexpected prefix
    // '/'"); what is queued is not sent
    const closed = new Error('closed')
    for (const e of this.#queue.splice(0)) e.reject(closed)
    if (this.#current !== undefined) await new Promise<void>((r) => (this.#idle = r))
    this.#write(Buffer.from('q'))
    await exited
    clearTimeout(timer)
  }
}
