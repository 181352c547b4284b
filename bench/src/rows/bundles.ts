/**
 * @module bench bundle rows: the self-contained application bundles (`npm run bundle -- --for-node
 * 22.13`, what images take): their size on disk, and the agent bundle's cold start — spawn of
 * `node astarte-agent.mjs` to its "agent running" line, existing credentials, against the bench's
 * Pairing API and Mosquitto — beside Node's own start.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { repoRoot } from '../fleet/fleet-env.js'
import { median, pairedRatio } from '../rounds.js'
import { childEnv } from './cold-start.js'
import { fleetEnv } from './fleet.js'

/**
 * Both bundles, built once per bench run into its scratch directory: `image`, what images take
 * (for a Node with node:sqlite: no SQLite addon), or `host`, for the Node running the bench (with
 * better-sqlite3 beside it where that Node lacks node:sqlite), to start them here.
 */
function bundles(ctx: BenchContext, kind: 'image' | 'host'): Promise<string> {
  return ctx.shared(`app-bundles-${kind}`, async () => {
    const out = join(ctx.tmpDir, `bundles-${kind}`)
    const forNode = kind === 'image' ? ['--for-node', '22.13'] : []
    const made = spawnSync(
      process.execPath,
      [join(repoRoot, 'scripts', 'bundle-apps.mjs'), '--out', out, ...forNode],
      { encoding: 'utf8' },
    )
    if (made.status !== 0) throw new Error(`couldn't bundle: ${made.stderr}`)
    return out
  })
}

function treeBytes(dir: string): { bytes: number; files: number } {
  let bytes = 0
  let files = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    bytes += statSync(join(entry.parentPath, entry.name)).size
    files++
  }
  return { bytes, files }
}

async function size(
  ctx: BenchContext,
  app: 'agent' | 'bridge',
  entry: string,
): Promise<Measurement> {
  const dir = join(await bundles(ctx, 'image'), app)
  const { bytes, files } = treeBytes(dir)
  const module = readFileSync(join(dir, entry))
  return {
    measured: bytes / 1024,
    details: {
      files,
      moduleKiB: module.length / 1024,
      moduleGzipKiB: gzipSync(module, { level: 9 }).length / 1024,
      forNode: '22.13 (no SQLite addon)',
    },
  }
}

/** Milliseconds from spawn to the first line matching `ready` on stderr; the process is then stopped. */
function startTime(args: readonly string[], cwd: string, ready: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const proc = spawn(process.execPath, args, {
      cwd,
      env: childEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let readyMs: number | undefined
    let log = ''
    const seen = (d: Buffer): void => {
      log = (log + d.toString()).slice(-4000)
      if (readyMs === undefined && ready.test(log)) {
        readyMs = performance.now() - started
        proc.kill('SIGTERM')
      }
    }
    proc.stdout.on('data', seen)
    proc.stderr.on('data', seen)
    proc.once('close', () => {
      if (readyMs !== undefined) resolve(readyMs)
      else reject(new Error(`couldn't start ${args.join(' ')}: ${log}`))
    })
  })
}

async function agentColdStart(ctx: BenchContext): Promise<Measurement> {
  const [dir, env] = await Promise.all([
    bundles(ctx, 'host').then((b) => join(b, 'agent')),
    fleetEnv(ctx),
  ])
  const config = join(ctx.tmpDir, 'bundle-agent.toml')
  writeFileSync(
    config,
    `store_directory = "${join(ctx.tmpDir, 'bundle-agent-store')}"
[astarte_device_sdk]
realm = "${env.sandbox.realm}"
device_id = "bJ0uPZEkU0SjVwHIXbSmJA"
pairing_url = "${env.sandbox.pairingUrl}"
pairing_token = "${env.sandbox.jwt}"
[agent]
ca_file = "${env.sandbox.caFile}"
`,
  )
  const agent = [join(dir, 'astarte-agent.mjs'), '--config', config]
  // the first start registers and makes the key; the rounds start with credentials on disk
  await startTime(agent, dir, /agent running/)
  const times: number[] = []
  const floor: number[] = []
  for (let r = 0; r < ctx.rounds; r++) {
    times.push(await startTime(agent, dir, /agent running/))
    floor.push(await startTime(['-e', "process.stderr.write('up\\n')"], dir, /up/))
  }
  return {
    measured: median(times),
    reference: { name: 'node alone', measured: median(floor) },
    ratio: pairedRatio(times, floor),
    details: {
      rounds: times,
      nodeAloneRounds: floor,
      runner: `node ${process.versions.node} + the agent bundle built for it`,
    },
  }
}

export const bundleRows: readonly RowSpec[] = [
  {
    id: 'bundle.agent.size',
    title: 'Agent bundle on disk (one module, interfaces, unit, config)',
    unit: 'KiB',
    // Not set by the issue: our own bound, what a Yocto image and an OTA delta carry
    goal: { op: '<=', value: 3072, on: 'measured' },
    measure: (ctx) => size(ctx, 'agent', 'astarte-agent.mjs'),
  },
  {
    id: 'bundle.bridge.size',
    title: 'Bridge bundle on disk (one module, serialport addon for every Linux arch)',
    unit: 'KiB',
    goal: { op: '<=', value: 3072, on: 'measured' },
    measure: (ctx) => size(ctx, 'bridge', 'astarte-bridge.mjs'),
  },
  {
    id: 'bundle.agent.coldstart',
    title: 'Agent bundle cold start: spawn → agent running (existing credentials)',
    unit: 'ms',
    // Not set by the issue: our own bound, a second on loopback
    goal: { op: '<=', value: 1000, on: 'measured' },
    measure: agentColdStart,
  },
]
