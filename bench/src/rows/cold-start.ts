/**
 * @module bench cold-start rows: a child process (plain node, built `dist`) from spawn to
 * `connect()` resolved — once with the credentials already on disk, once on first boot (key
 * generation, registration, certificate, then connect).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { deviceOptions } from '../device-env.js'
import { repoRoot } from '../fleet/fleet-env.js'
import { median } from '../rounds.js'
import { builtCli, fleetEnv } from './fleet.js'

const child = join(repoRoot, 'bench', 'cold-start-child.mjs')

/** Milliseconds from spawn to the child's `connected` line. */
function coldStart(options: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const proc = spawn(process.execPath, [child], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_DEVICE_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let connectedMs: number | undefined
    let stderr = ''
    proc.stdout.on('data', (d: Buffer) => {
      if (connectedMs === undefined && d.toString().includes('connected')) {
        connectedMs = performance.now() - started
      }
    })
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
    proc.once('close', (code) => {
      if (code === 0 && connectedMs !== undefined) resolve(connectedMs)
      else reject(new Error(`couldn't cold-start (exit ${code}): ${stderr}`))
    })
  })
}

async function measure(ctx: BenchContext, firstBoot: boolean): Promise<Measurement> {
  const [env, runner] = await Promise.all([fleetEnv(ctx), builtCli(ctx)])
  if (runner.kind !== 'dist') {
    throw new Error("couldn't build dist: cold start needs the built packages")
  }
  const storeDir = join(ctx.tmpDir, 'cold-start')
  const times: number[] = []
  for (let r = 0; r < ctx.rounds; r++) {
    // First boot: a new hardware id each round. Existing: one device, paired by a first run.
    const options = deviceOptions(env, storeDir, firstBoot ? `bench-first-boot-${r}` : 'bench-cold')
    if (!firstBoot && r === 0) await coldStart(options)
    times.push(await coldStart(options))
  }
  return { measured: median(times), details: { rounds: times, runner: 'node + dist' } }
}

export const coldStartRows: readonly RowSpec[] = [
  {
    id: 'coldstart.existing',
    title: 'Cold start: process start → connected (existing credentials)',
    unit: 'ms',
    goal: { op: '<=', value: 150, on: 'measured' },
    measure: (ctx) => measure(ctx, false),
  },
  {
    id: 'coldstart.first-boot',
    title: 'Cold start: first boot (key, registration, certificate, connect)',
    unit: 'ms',
    // Not set by the issue: our own bound, a second on loopback.
    goal: { op: '<=', value: 1000, on: 'measured' },
    measure: (ctx) => measure(ctx, true),
  },
]
