/**
 * @module fleet cli (test helper): `astarte-fleet` from sources as a child process, its progress
 * lines handed over as they come, its JSON summary parsed at the end.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'

export const root = new URL('../../../..', import.meta.url).pathname
export const interfacesDir = join(root, 'interfaces', 'examples')

export interface FleetRun {
  readonly code: number | null
  readonly summary: Record<string, unknown>
  readonly stderr: string
}

/** Parsed `fleet: <s>s connected <c>/<n> sent <x> acked <y> errors <e>` line. */
export interface Progress {
  readonly connected: number
  readonly sent: number
  readonly acked: number
  readonly errors: number
}

const PROGRESS = /^fleet: \d+s connected (\d+)\/\d+ sent (\d+) acked (\d+) errors (\d+)$/

/** Runs the CLI with `args`; the JWT travels in the environment, out of the process list. */
export function runFleetCli(
  args: readonly string[],
  jwt: string,
  onProgress: (p: Progress) => void = () => undefined,
): Promise<FleetRun> {
  const argv = ['--conditions=@astarte-ts/source', '--import', 'tsx', 'tools/fleet/src/cli/run.ts']
  const child = spawn(process.execPath, [...argv, ...args], {
    cwd: root,
    env: { ...process.env, ASTARTE_PAIRING_JWT: jwt },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
    const lines = (partial + d.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const m = PROGRESS.exec(line)
      if (m !== null) {
        const [connected, sent, acked, errors] = m.slice(1).map(Number) as [
          number,
          number,
          number,
          number,
        ]
        onProgress({ connected, sent, acked, errors })
      }
    }
  })
  return new Promise((resolve) =>
    child.once('close', (code) => {
      let summary: Record<string, unknown> = {}
      try {
        summary = JSON.parse(stdout) as Record<string, unknown>
      } catch {
        assert.fail(`no JSON summary on stdout (exit ${code}): ${stderr}`)
      }
      resolve({ code, summary, stderr })
    }),
  )
}
