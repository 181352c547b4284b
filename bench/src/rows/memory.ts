/**
 * @module bench memory rows: the resident memory (RSS) of a device's process, read from outside
 * (`VmRSS` of /proc/<pid>/status, what `ps` shows), against a bare `node -e` process spawned in
 * alternating rounds: once connected, and after a sustained `stored` stream. The child
 * (`bench/rss-child.mjs`, plain node on the built packages) stops at each step of a device's
 * life; the details keep every step, and what each dependency costs when loaded alone. After
 * the streams it stays connected and idle, then makes a full collection (it runs with
 * `--expose-gc`, which only adds `gc()`): what V8 kept as room rather than for live objects.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { deviceOptions } from '../device-env.js'
import { repoRoot } from '../fleet/fleet-env.js'
import { median, pairedRatio } from '../rounds.js'
import { childEnv } from './cold-start.js'
import { builtCli, fleetEnv } from './fleet.js'

const child = join(repoRoot, 'bench', 'rss-child.mjs')
/** Node's own: a process that answers the same IPC steps and loads nothing. */
const bareNode = [
  '-e',
  "process.send({ type: 'step', name: 'started' }); process.once('message', () => process.disconnect())",
]
const MiB = 2 ** 20
/** The goal: at most Node's own RSS plus this, connected and under load. */
const GOAL_MIB_ABOVE_NODE = 25
const DEPENDENCIES = ['mqtt', 'better-sqlite3', 'x509', 'tls'] as const
/** How long the child stays connected and idle after the streams before its last step. */
const IDLE_MS = 15_000

interface Status {
  /** VmRSS: resident now. */
  readonly rss: number
  /** RssAnon: of it, memory the process allocated (heaps, V8's and native). */
  readonly anon: number
  /** RssFile: of it, pages of files it maps (node, the SQLite addon, shared libraries). */
  readonly file: number
  /** VmHWM: the most it has been resident. */
  readonly peak: number
}

function statusOf(pid: number): Status {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => {
    const line = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)
    if (line === null) throw new Error(`couldn't read ${key} of process ${pid}`)
    return Number(line[1]) * 1024
  }
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), peak: kb('VmHWM') }
}

interface Step {
  readonly name: string
  readonly status: Status
  /** V8's view at that step (`process.memoryUsage()` in the child), bytes. */
  readonly heap: Readonly<Record<string, number>>
}

/** Runs `args` as a stepping child; resolves with its status at every step. */
function steps(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Step[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    const seen: Step[] = []
    let stderr = ''
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
    proc.on('message', (m: { type: string; name: string; heap?: Record<string, number> }) => {
      if (m.type !== 'step') return
      try {
        seen.push({ name: m.name, status: statusOf(proc.pid ?? 0), heap: m.heap ?? {} })
      } catch (e) {
        proc.kill()
        reject(e instanceof Error ? e : new Error(String(e)))
        return
      }
      proc.send({ type: 'next' })
    })
    proc.once('close', (code) => {
      if (code === 0) resolve(seen)
      else reject(new Error(`couldn't measure memory (exit ${code}): ${stderr}`))
    })
  })
}

interface Rounds {
  /** Per round, the device child's steps. */
  readonly device: Step[][]
  /** Per round, the bare node's RSS. */
  readonly node: number[]
  /** What loading one dependency alone adds to a fresh process's RSS. */
  readonly dependencies: Record<string, number>
  readonly storedSends: number
}

function rounds(ctx: BenchContext): Promise<Rounds> {
  return ctx.shared('memory-rounds', async () => {
    const [env, runner] = await Promise.all([fleetEnv(ctx), builtCli(ctx)])
    if (runner.kind !== 'dist') {
      throw new Error("couldn't build dist: the memory rows need the built packages")
    }
    const storedSends = ctx.count(20_000, 2_000, 50)
    const options = deviceOptions(env, join(ctx.tmpDir, 'memory'), 'bench-rss')
    const deviceEnv = childEnv({
      BENCH_DEVICE_OPTIONS: JSON.stringify(options),
      BENCH_STORED_SENDS: String(storedSends),
      BENCH_IDLE_MS: String(IDLE_MS),
    })
    const bareEnv = childEnv({})
    // first boot (registration, key, certificate) outside the rounds: a device restarts far
    // more often than it is born, and pairing loads what a restart doesn't (@peculiar/x509)
    await steps([child], { ...deviceEnv, BENCH_IDLE_MS: '0' })
    const device: Step[][] = []
    const node: number[] = []
    for (let r = 0; r < Math.min(ctx.rounds, 3); r++) {
      const bare = async (): Promise<void> => {
        node.push((await steps(bareNode, bareEnv))[0]?.status.rss ?? Number.NaN)
      }
      if (r % 2 === 1) await bare()
      device.push(await steps(['--expose-gc', child], deviceEnv))
      if (r % 2 === 0) await bare()
    }
    const dependencies: Record<string, number> = {}
    for (const dependency of DEPENDENCIES) {
      const [started, loaded] = await steps([child, dependency], bareEnv)
      dependencies[dependency] = (loaded?.status.rss ?? Number.NaN) - (started?.status.rss ?? 0)
    }
    return { device, node, dependencies, storedSends }
  })
}

const mib = (bytes: number): number => Number((bytes / MiB).toFixed(1))

/** Medians over rounds of every step: RSS (and its anonymous and file parts), V8's heap, MiB. */
function stepMedians(device: readonly Step[][]): Record<string, Record<string, number>> {
  const names = device[0]?.map((s) => s.name) ?? []
  return Object.fromEntries(
    names.map((name) => {
      const at = device.map((round) => round.find((s) => s.name === name))
      const of = (pick: (s: Step) => number): number =>
        mib(median(at.map((s) => (s === undefined ? Number.NaN : pick(s)))))
      return [
        name,
        {
          rss: of((s) => s.status.rss),
          rssAnon: of((s) => s.status.anon),
          rssFile: of((s) => s.status.file),
          heapUsed: of((s) => s.heap.heapUsed ?? Number.NaN),
          heapTotal: of((s) => s.heap.heapTotal ?? Number.NaN),
          external: of((s) => s.heap.external ?? Number.NaN),
          arrayBuffers: of((s) => s.heap.arrayBuffers ?? Number.NaN),
        },
      ]
    }),
  )
}

async function measure(
  ctx: BenchContext,
  at: 'connected' | 'streamed again',
): Promise<Measurement> {
  const r = await rounds(ctx)
  // MiB per round: the device's RSS at this step, and the bare node's of the same round
  const rss = r.device.map((round) =>
    mib(round.find((s) => s.name === at)?.status.rss ?? Number.NaN),
  )
  const node = r.node.map(mib)
  const above = rss.map((value, i) => value - (node[i] ?? Number.NaN))
  const peak = r.device.map((round) => round.at(-1)?.status.peak ?? Number.NaN)
  // the same process once idle, then after a full collection (see `bench/rss-child.mjs`): what
  // of the growth is V8 and malloc keeping room for the stream's garbage, not live objects
  const aboveNodeAt = (name: string): number[] =>
    r.device.map((round, i) => {
      const rssThen = mib(round.find((s) => s.name === name)?.status.rss ?? Number.NaN)
      return Number((rssThen - (node[i] ?? Number.NaN)).toFixed(1))
    })
  const idle = aboveNodeAt('idle')
  const collected = aboveNodeAt('collected')
  return {
    measured: Number(median(above).toFixed(1)),
    reference: { name: 'node alone', measured: median(node) },
    ratio: pairedRatio(rss, node),
    details: {
      rounds: rss,
      nodeAloneRounds: node,
      steps: stepMedians(r.device),
      peakRss: mib(median(peak)),
      idleAboveNode: { median: median(idle), rounds: idle, idleSeconds: IDLE_MS / 1000 },
      afterFullGcAboveNode: { median: median(collected), rounds: collected },
      dependenciesAloneAboveNode: Object.fromEntries(
        Object.entries(r.dependencies).map(([name, bytes]) => [name, mib(bytes)]),
      ),
      storedSends: r.storedSends,
      runner: 'node + dist',
      environment: 'NODE_EXTRA_CA_CERTS unset',
    },
  }
}

export const memoryRows: readonly RowSpec[] = [
  {
    id: 'memory.rss.connected',
    title: "Memory: device connected, RSS above Node's own",
    unit: 'MiB',
    goal: { op: '<=', value: GOAL_MIB_ABOVE_NODE, on: 'measured' },
    measure: (ctx) => measure(ctx, 'connected'),
  },
  {
    id: 'memory.rss.stored-stream',
    title: "Memory: after a stored stream, RSS above Node's own",
    unit: 'MiB',
    goal: { op: '<=', value: GOAL_MIB_ABOVE_NODE, on: 'measured' },
    measure: (ctx) => measure(ctx, 'streamed again'),
  },
]
