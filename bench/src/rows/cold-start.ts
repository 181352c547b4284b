/**
 * @module bench cold-start rows: a child process (plain node, the packages' built entries) from
 * spawn to `connect()` resolved — once with the credentials already on disk, once on first boot
 * (key generation, registration, certificate, then connect).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { deviceOptions } from '../device-env.js'
import { repoRoot } from '../fleet/fleet-env.js'
import { median, pairedRatio } from '../rounds.js'
import { builtCli, fleetEnv } from './fleet.js'

const child = join(repoRoot, 'bench', 'cold-start-child.mjs')
/** Node's own floor: a process that prints the line the device child prints, and nothing else. */
const nodeFloor = ['-e', "process.stdout.write('connected\\n')"]

/**
 * The children's environment: this one without `NODE_EXTRA_CA_CERTS`. Build and CI machines
 * often point it at the whole system bundle, which Node parses at every start before any script
 * runs (~70 ms here); a device's service doesn't set it, and the broker CA the device trusts
 * comes from its own options.
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _machineOnly, ...env } = process.env
  return { ...env, ...extra }
}

/** Milliseconds from spawn to the child's `connected` line. */
function coldStart(args: readonly string[], options: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const proc = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: childEnv({ BENCH_DEVICE_OPTIONS: JSON.stringify(options) }),
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
  const floor: number[] = []
  for (let r = 0; r < ctx.rounds; r++) {
    // First boot: a new hardware id each round. Existing: one device, paired by a first run
    // (which also stores its broker, so later starts connect while Pairing verifies).
    const options = deviceOptions(env, storeDir, firstBoot ? `bench-first-boot-${r}` : 'bench-cold')
    if (!firstBoot && r === 0) await coldStart([child], options)
    times.push(await coldStart([child], options))
    floor.push(await coldStart(nodeFloor, {}))
  }
  return {
    measured: median(times),
    // No ratio goal: the reference says how much of the measured time is Node's own start.
    reference: { name: 'node alone', measured: median(floor) },
    ratio: pairedRatio(times, floor),
    details: {
      rounds: times,
      nodeAloneRounds: floor,
      runner: 'node + dist',
      environment: 'NODE_EXTRA_CA_CERTS unset',
    },
  }
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
