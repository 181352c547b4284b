/** Runs the astarte-device CLI from sources, as a real child process. */
import { spawn } from 'node:child_process'

export const root = new URL('../../../../', import.meta.url).pathname

/** Resolves with the exit code and the whole output once the process ended. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@astarte-ts/source',
        '--import',
        'tsx',
        'runtimes/node/src/cli/run.ts',
        ...args,
      ],
      { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin ?? '')
  })
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
