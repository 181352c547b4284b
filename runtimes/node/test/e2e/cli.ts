/** Runs the astarte-device CLI from sources, as a real child process. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'

export const root = new URL('../../../../', import.meta.url).pathname

/** A TypeScript entry of the repository run as a real process, its output collected. */
export interface Spawned {
  readonly child: ChildProcessWithoutNullStreams
  readonly out: { stdout: string; stderr: string }
  readonly exited: Promise<number | null>
}

/** Starts `entry` (a path from the repository root) from sources, like `npm run demo` does. */
export function spawnTs(
  entry: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Spawned {
  const child = spawn(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', entry, ...args],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  )
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()))
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  return { child, out, exited }
}

/** The real bin; under the source condition its `#cli` import resolves to the TypeScript. */
export const cliBin = 'runtimes/node/bin/astarte-device.js'

/** Runs `astarte-device` with `args`; resolves with the exit code and the whole output. */
export async function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawnTs(cliBin, args, env)
  cli.child.stdin.end(stdin ?? '')
  const code = await cli.exited
  return { code, ...cli.out }
}

/**
 * Runs the CLI in this process (for usage errors, which never reach the network): resolves with
 * the exit code and what it wrote to stderr.
 */
export async function runCliInProcess(
  args: readonly string[],
): Promise<{ code: number; stderr: string }> {
  const { main } = await import('../../src/cli/main.js')
  const write = process.stderr.write.bind(process.stderr)
  let stderr = ''
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString()
    return true
  }) as typeof process.stderr.write
  try {
    return { code: await main([...args]), stderr }
  } finally {
    process.stderr.write = write
  }
}
