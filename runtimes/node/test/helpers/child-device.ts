/**
 * @module child device (test helper): real processes for the fault suites. A TypeScript entry runs
 * under tsx in its own process group (so a kill reaches everything it started); it talks JSON
 * lines: commands on stdin, replies and events on stdout, logs on stderr. Every process started
 * here is killed when the test context ends.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { DeviceOptions } from '../../src/index.js'

const root = new URL('../../../../', import.meta.url).pathname
const deviceEntry = new URL('../fixtures/device-process.ts', import.meta.url).pathname

export interface ChildExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export type JsonLine = Readonly<Record<string, unknown>>

export interface TsProcess {
  readonly pid: number
  /** The next stdout line matching `match` (lines already read are kept for later calls). */
  line(match: (line: JsonLine) => boolean, ms?: number): Promise<JsonLine>
  /** Writes one JSON line on stdin. */
  write(message: JsonLine): void
  /** Signals the whole process group and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ChildExit>
  readonly exited: Promise<ChildExit>
  stderr(): string
}

/** Runs `node --import tsx <entry> ...args` from the workspace root, in a new process group. */
export function spawnTs(
  t: Pick<TestContext, 'after'>,
  entry: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): TsProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', entry, ...args],
    { cwd: root, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  )
  const pid = child.pid
  if (pid === undefined) throw new Error(`couldn't start ${entry}`)
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)))
  const lines: JsonLine[] = []
  const waiters = new Set<() => void>()
  let partial = ''
  child.stdout?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n')
    partial = parts.pop() ?? ''
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as JsonLine)
    for (const wake of waiters) wake()
  })
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal })
      for (const wake of waiters) wake()
    }),
  )
  let done = false
  void exited.then(() => (done = true))
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<ChildExit> => {
    if (!done) {
      try {
        process.kill(-pid, signal)
      } catch {
        // already gone
      }
    }
    return exited
  }
  t.after(() => kill())

  return {
    pid,
    line(match, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for a line from ${entry}; stderr: ${stderr}`))
        }, ms)
        const check = (): void => {
          const i = lines.findIndex(match)
          if (i >= 0) {
            const [found] = lines.splice(i, 1)
            waiters.delete(check)
            clearTimeout(timer)
            resolve(found as JsonLine)
          } else if (done) {
            waiters.delete(check)
            clearTimeout(timer)
            reject(new Error(`${entry} exited before the line; stderr: ${stderr}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
    write(message) {
      child.stdin?.write(`${JSON.stringify(message)}\n`)
    },
    kill,
    exited,
    stderr: () => stderr,
  }
}

/** Device options a child process can receive (JSON: no logger, ports or parsed interfaces). */
export type ChildDeviceOptions = Omit<DeviceOptions, 'logger' | 'ports' | 'interfaces'> & {
  readonly interfaces: readonly string[]
}

/** Commands of `fixtures/device-process.ts`; each is answered by `{ reply: cmd, ... }`. */
export type ChildDeviceCommand =
  | { readonly cmd: 'connect' }
  | { readonly cmd: 'disconnect' }
  | {
      readonly cmd: 'sendSequence'
      readonly interfaceName: string
      readonly path: string
      readonly from: number
      readonly count: number
    }
  | { readonly cmd: 'metrics' }
  | { readonly cmd: 'close' }

export interface ChildDevice {
  readonly process: TsProcess
  /** Sends a command and waits for its reply (`error` replies reject). */
  call(command: ChildDeviceCommand, ms?: number): Promise<JsonLine>
}

/** Starts `fixtures/device-process.ts` with a `Device` opened from `options`. */
export async function startChildDevice(
  t: Pick<TestContext, 'after'>,
  options: ChildDeviceOptions,
): Promise<ChildDevice> {
  // options travel in the environment, not argv: they may hold a pairing JWT or a secret
  const proc = spawnTs(t, deviceEntry, [], { ASTARTE_TEST_DEVICE: JSON.stringify(options) })
  await proc.line((l) => l.event === 'opened')
  return {
    process: proc,
    async call(command, ms) {
      proc.write(command)
      const reply = await proc.line((l) => l.reply === command.cmd || l.error !== undefined, ms)
      if (reply.error !== undefined) throw new Error(`${command.cmd}: ${String(reply.error)}`)
      return reply
    },
  }
}

export const fixturesDir = join(root, 'runtimes', 'node', 'test', 'fixtures')
