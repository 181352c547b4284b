/**
 * @module bench memory rows: the resident memory (RSS) of a device's process, read from outside
 * (`VmRSS` of /proc/<pid>/status, what `ps` shows), against a bare `node -e` process spawned in
 * alternating rounds: once connected, and after a sustained `stored` stream. The child
 * (`bench/rss-child.mjs`, plain node on the built packages) stops at each step of a device's
 * life; the details keep every step, and what each dependency costs when loaded alone. After
 * the streams it stays connected and idle, then makes full collections (it runs with
 * `--expose-gc`, which only adds `gc()`): what V8 kept as room rather than for live objects;
 * then closes the device and collects again: what the device itself held. Each row prints under
 * the table where its resident memory goes (V8's heap, young and old; native; file-backed). The
 * rounds run three times: V8 sized for this machine, as Node sizes it on a 512 MiB board, and on
 * that board as the Yocto image runs the agent (its wrapper's node flags, its systemd unit's
 * `Environment=`: glibc's malloc settings, `NODE_OPTIONS`); the bare node of a round runs with the
 * same flags and environment.
 */
import { spawn } from 'node:child_process'
import { readFileSync, readlinkSync } from 'node:fs'
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
/** The issue's goal: at most Node's own RSS plus this, connected and under load. */
const GOAL_MIB_ABOVE_NODE = 25
/**
 * What a device loads besides Node's own modules; better-sqlite3 only on a Node without
 * node:sqlite (the store's binding is Node's own from 22.13, and the addon is built for one ABI).
 */
const hasNodeSqlite = (() => {
  try {
    return process.getBuiltinModule?.('node:sqlite') !== undefined
  } catch {
    return false
  }
})()
const DEPENDENCIES = ['mqtt', ...(hasNodeSqlite ? [] : ['better-sqlite3']), 'x509', 'tls']
/**
 * How long the child stays connected and idle after the streams: long enough for V8's memory
 * reducer, whose first check comes 8 s after a full collection (`--quick`: 1 s, no reducer).
 */
const idleMs = (ctx: BenchContext): number => (ctx.quick ? 1_000 : 15_000)
/**
 * V8 sizes its heap when Node starts, from the memory Node tells it the machine has (physical,
 * or the cgroup's limit: V8's `ResourceConstraints::ConfigureDefaults`): an old generation of up
 * to a quarter of it, and semi-spaces of old / 256 (old <= 256 MiB) or old / 128, between 1 and
 * 16 MiB on 64-bit. On this bench machine (tens of GiB) that is 16 MiB semi-spaces: under a high
 * allocation rate the young generation grows to 2 x 16 MiB resident, and keeps it until a full
 * collection. On a 512 MiB board the same Node gives itself 1 MiB semi-spaces and a 128 MiB old
 * generation. The `board` rounds set those sizes with the flags that set them (no other
 * setting), so that a row reads what the board's process would.
 */
const BOARD_MIB = 512
const BOARD_FLAGS = [`--max-old-space-size=${BOARD_MIB / 4}`, '--max-semi-space-size=1'] as const
/** The unit whose environment the `shipped` rounds run with: the agent's, as packaged. */
const SHIPPED_UNIT = join(repoRoot, 'agent', 'systemd', 'astarte-agent.service')
/** The node flags of the wrappers the Yocto layer installs (scripts/yocto-node-flags.mjs). */
const { yoctoNodeFlags } = (await import(join(repoRoot, 'scripts', 'yocto-node-flags.mjs'))) as {
  yoctoNodeFlags: () => string[]
}

/**
 * The `Environment=` assignments of a systemd unit, as systemd passes them to the process: one or
 * more `KEY=value` per line, each whole assignment optionally in double quotes.
 */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of unit.split('\n')) {
    const value = /^Environment=(.*)$/.exec(line.trim())?.[1]
    if (value === undefined) continue
    for (const [, quoted, bare] of value.matchAll(/"([^"]*)"|(\S+)/g)) {
      const assignment = quoted ?? bare ?? ''
      const eq = assignment.indexOf('=')
      if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1)
    }
  }
  return env
}

interface Status {
  /** VmRSS: resident now. */
  readonly rss: number
  /** RssAnon: of it, memory the process allocated (heaps, V8's and native). */
  readonly anon: number
  /** RssFile: of it, pages of files it maps (node, the SQLite addon, shared libraries). */
  readonly file: number
  /** VmHWM: the most it has been resident. */
  readonly peak: number
  /**
   * Of `anon`, the main thread's malloc arena (`[heap]` in smaps, grown with brk): where
   * SQLite, OpenSSL, Node's buffers and the addons allocate from the main thread. glibc gives
   * it back to the system only from its top, so a long-lived block above freed ones keeps them
   * resident.
   */
  readonly brk: number
  /**
   * Of `anon`, the malloc arenas of the other threads (glibc gives each thread that allocates
   * one, up to 8 per core: V8's platform workers, whose compiler jobs allocate their zones
   * there; libuv's pool). glibc trims one only once its free top exceeds the trim threshold.
   */
  readonly threadArenas: number
  /** Of `file`, pages of the `node` executable itself (code, V8's builtins, ICU's data). */
  readonly nodeFile: number
  /** Of `file`, pages of native addons (`*.node`: better-sqlite3's SQLite on Node 20). */
  readonly addonFiles: number
}

function statusOf(pid: number): Status {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => {
    const line = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)
    if (line === null) throw new Error(`couldn't read ${key} of process ${pid}`)
    return Number(line[1]) * 1024
  }
  return {
    rss: kb('VmRSS'),
    anon: kb('RssAnon'),
    file: kb('RssFile'),
    peak: kb('VmHWM'),
    ...mappingSplit(pid),
  }
}

/** glibc's thread arenas are heaps of 64 MiB, aligned on 64 MiB (HEAP_MAX_SIZE on 64-bit). */
const ARENA_HEAP = 64 * MiB

interface Mapping {
  readonly start: number
  readonly end: number
  readonly perms: string
  readonly name: string
  rss: number
}

/** Resident bytes of process `pid` by kind of mapping (see `Status`), from /proc/<pid>/smaps. */
function mappingSplit(
  pid: number,
): Pick<Status, 'brk' | 'threadArenas' | 'nodeFile' | 'addonFiles'> {
  const maps: Mapping[] = []
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head !== null) {
      const [, start = '0', end = '0', perms = '', name = ''] = head
      maps.push({ start: parseInt(start, 16), end: parseInt(end, 16), perms, name, rss: 0 })
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    const last = maps.at(-1)
    if (rss !== null && last !== undefined) last.rss = Number(rss[1]) * 1024
  }
  const exe = readlinkSync(`/proc/${pid}/exe`)
  let brk = 0
  let threadArenas = 0
  let nodeFile = 0
  let addonFiles = 0
  maps.forEach((m, i) => {
    if (m.name === '[heap]') brk += m.rss
    else if (m.name === exe) nodeFile += m.rss
    else if (m.name.endsWith('.node')) addonFiles += m.rss
    else if (m.name === '' && m.perms.startsWith('rw') && m.start % ARENA_HEAP === 0) {
      // an arena's heap: committed from its start, the rest of its 64 MiB reserved (---p)
      const rest = maps[i + 1]
      const whole = m.end - m.start === ARENA_HEAP
      const reserved = rest?.start === m.end && rest.name === '' && rest.perms === '---p'
      if (whole || (reserved && rest.end - m.start === ARENA_HEAP)) threadArenas += m.rss
    }
  })
  return { brk, threadArenas, nodeFile, addonFiles }
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

/** Rounds of one V8 sizing: the device child's steps and the bare node's RSS, per round. */
interface Sized {
  readonly device: Step[][]
  readonly node: number[]
}

/** The rounds' configurations (see the module comment). */
type Sizing = 'machine' | 'board' | 'shipped'

interface Rounds {
  /** V8 sized for this machine, as `node` sizes it here. */
  readonly machine: Sized
  /** V8 sized as on a `BOARD_MIB` board (`BOARD_FLAGS`), the bare node too. */
  readonly board: Sized
  /**
   * `board`, with the environment of `SHIPPED_UNIT` (`shippedEnv`) and the node flags of the Yocto
   * image's wrapper (`shippedFlags`), the bare node too.
   */
  readonly shipped: Sized
  readonly shippedEnv: Record<string, string>
  readonly shippedFlags: readonly string[]
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
      BENCH_IDLE_MS: String(idleMs(ctx)),
    })
    const bareEnv = childEnv({})
    const shippedEnv = unitEnvironment(readFileSync(SHIPPED_UNIT, 'utf8'))
    const shippedFlags = [...BOARD_FLAGS, ...yoctoNodeFlags()]
    // first boot (registration, key, certificate) outside the rounds: a device restarts far
    // more often than it is born, and pairing loads what a restart doesn't (@peculiar/x509)
    await steps([child], { ...deviceEnv, BENCH_IDLE_MS: '0' })
    const machine: Sized = { device: [], node: [] }
    const board: Sized = { device: [], node: [] }
    const shipped: Sized = { device: [], node: [] }
    const bare = async (into: Sized, flags: readonly string[], env: object): Promise<void> => {
      const first = (await steps([...flags, ...bareNode], { ...bareEnv, ...env }))[0]
      into.node.push(first?.status.rss ?? Number.NaN)
    }
    for (let r = 0; r < Math.min(ctx.rounds, 3); r++) {
      // alternating orders, so that a drift of the machine moves both sides of a round alike
      for (const [into, flags, env] of [
        [machine, [], {}],
        [board, BOARD_FLAGS, {}],
        [shipped, shippedFlags, shippedEnv],
      ] as const) {
        if (r % 2 === 1) await bare(into, flags, env)
        into.device.push(await steps(['--expose-gc', ...flags, child], { ...deviceEnv, ...env }))
        if (r % 2 === 0) await bare(into, flags, env)
      }
    }
    const dependencies: Record<string, number> = {}
    for (const dependency of DEPENDENCIES) {
      const [started, loaded] = await steps([child, dependency], bareEnv)
      dependencies[dependency] = (loaded?.status.rss ?? Number.NaN) - (started?.status.rss ?? 0)
    }
    return { machine, board, shipped, shippedEnv, shippedFlags, dependencies, storedSends }
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
          v8Resident: of((s) => s.heap.v8Resident ?? Number.NaN),
          newSpace: of((s) => s.heap.newSpace ?? Number.NaN),
          v8Malloced: of((s) => s.heap.v8Malloced ?? Number.NaN),
          // anonymous memory V8's heap does not explain: malloc arenas (SQLite, OpenSSL, Node,
          // V8's own malloc), thread stacks
          native: of((s) => s.status.anon - (s.heap.v8Resident ?? Number.NaN)),
          mainArena: of((s) => s.status.brk),
          threadArenas: of((s) => s.status.threadArenas),
          nodeFile: of((s) => s.status.nodeFile),
          addonFiles: of((s) => s.status.addonFiles),
        },
      ]
    }),
  )
}

const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`

/** One step's resident memory split: V8's heap (young / old), native (arenas), files. */
function split(step: Readonly<Record<string, number>> | undefined): string {
  if (step === undefined) return 'not measured'
  const v8 = step.v8Resident ?? Number.NaN
  const young = step.newSpace ?? Number.NaN
  return (
    `V8 heap ${v8.toFixed(1)} (young ${young.toFixed(1)}, old ${(v8 - young).toFixed(1)}; ` +
    `used ${(step.heapUsed ?? Number.NaN).toFixed(1)}), native ${(step.native ?? Number.NaN).toFixed(1)} ` +
    `(main malloc arena ${(step.mainArena ?? Number.NaN).toFixed(1)}, other threads' arenas ` +
    `${(step.threadArenas ?? Number.NaN).toFixed(1)}; ArrayBuffers ` +
    `${(step.arrayBuffers ?? Number.NaN).toFixed(1)}), file-backed ${(step.rssFile ?? Number.NaN).toFixed(1)} ` +
    `(node ${(step.nodeFile ?? Number.NaN).toFixed(1)}, addons ${(step.addonFiles ?? Number.NaN).toFixed(1)}) MiB`
  )
}

/** What the Markdown prints under the table: where the row's resident memory goes. */
function notes(
  at: 'connected' | 'streamed again',
  sizing: Sizing,
  shipped: { readonly env: Record<string, string>; readonly flags: readonly string[] },
  steps: Record<string, Record<string, number>>,
  node: number,
  above: Record<'streamed' | 'streamed again' | 'idle' | 'collected' | 'closed', number>,
  idleSeconds: number,
  cpuPerSend: number,
): string[] {
  if (at === 'connected') {
    return [`RSS split once connected: ${split(steps.connected)}; bare node ${node.toFixed(1)} MiB`]
  }
  const board = `V8 sized as on a ${BOARD_MIB} MiB board (\`node ${BOARD_FLAGS.join(' ')}\`)`
  const configuration = {
    machine: "V8 sized for this machine's memory",
    board,
    shipped:
      `as the Yocto image runs the agent: \`node ${shipped.flags.join(' ')}\` (its wrapper's ` +
      'flags after the board sizing), with the environment of agent/systemd/astarte-agent.service ' +
      `(${Object.entries(shipped.env)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(', ')}), the bare node too`,
  }[sizing]
  return [
    `${configuration}; RSS split after the second stream: ${split(steps['streamed again'])}`,
    `CPU time of the device's process during the streams: ${cpuPerSend.toFixed(1)} µs per send`,
    `flat under load: ${signed(above.streamed)} MiB above node after the first stream, ` +
      `${signed(above['streamed again'])} after the second ` +
      `(${signed(above['streamed again'] - above.streamed)})`,
    `${idleSeconds} s idle: ${signed(above.idle)}; after full collections: ` +
      `${signed(above.collected)} (${split(steps.collected)}); the device closed too: ` +
      `${signed(above.closed)} (the difference is what its SQLite connection, TLS session and ` +
      `MQTT.js held)`,
  ]
}

const STEP_NAMES = ['streamed', 'streamed again', 'idle', 'collected', 'closed'] as const

async function measure(
  ctx: BenchContext,
  at: 'connected' | 'streamed again',
  sizing: Sizing,
): Promise<Measurement> {
  const all = await rounds(ctx)
  const r = all[sizing]
  // MiB above the bare node of the same round, at step `name`, per round
  const aboveNodeAt = (name: string): number[] =>
    r.device.map((round, i) => {
      const rssThen = mib(round.find((s) => s.name === name)?.status.rss ?? Number.NaN)
      return Number((rssThen - mib(r.node[i] ?? Number.NaN)).toFixed(1))
    })
  const rss = r.device.map((round) =>
    mib(round.find((s) => s.name === at)?.status.rss ?? Number.NaN),
  )
  const node = r.node.map(mib)
  const peak = r.device.map((round) => round.at(-1)?.status.peak ?? Number.NaN)
  // the child's CPU time from connected to the end of the second stream, per send
  const cpuPerSend = r.device.map((round) => {
    const cpuAt = (name: string): number =>
      round.find((s) => s.name === name)?.heap.cpu ?? Number.NaN
    return (cpuAt('streamed again') - cpuAt('connected')) / (2 * all.storedSends)
  })
  const steps = stepMedians(r.device)
  const later = Object.fromEntries(STEP_NAMES.map((name) => [name, aboveNodeAt(name)])) as Record<
    (typeof STEP_NAMES)[number],
    number[]
  >
  const laterMedians = Object.fromEntries(
    STEP_NAMES.map((name) => [name, median(later[name])]),
  ) as Record<(typeof STEP_NAMES)[number], number>
  return {
    measured: Number(median(aboveNodeAt(at)).toFixed(1)),
    notes: notes(
      at,
      sizing,
      { env: all.shippedEnv, flags: all.shippedFlags },
      steps,
      median(node),
      laterMedians,
      idleMs(ctx) / 1000,
      median(cpuPerSend),
    ),
    reference: { name: 'node alone', measured: median(node) },
    ratio: pairedRatio(rss, node),
    details: {
      rounds: rss,
      nodeAloneRounds: node,
      v8Sizing:
        sizing === 'machine'
          ? "this machine's memory"
          : { boardMiB: BOARD_MIB, flags: BOARD_FLAGS.join(' ') },
      ...(sizing === 'shipped'
        ? { unitEnvironment: all.shippedEnv, nodeFlags: all.shippedFlags }
        : {}),
      steps,
      peakRss: mib(median(peak)),
      // the same process after each step, above the bare node (see `bench/rss-child.mjs`):
      // flat under load (the second stream against the first), then what of the growth was V8
      // and malloc keeping room for the stream's garbage, and what the device itself held
      aboveNode: Object.fromEntries(
        STEP_NAMES.map((name) => [name, { median: laterMedians[name], rounds: later[name] }]),
      ),
      idleSeconds: idleMs(ctx) / 1000,
      dependenciesAloneAboveNode: Object.fromEntries(
        Object.entries(all.dependencies).map(([name, bytes]) => [name, mib(bytes)]),
      ),
      storedSends: all.storedSends,
      cpuMicrosecondsPerSend: {
        median: Number(median(cpuPerSend).toFixed(1)),
        rounds: cpuPerSend.map((us) => Number(us.toFixed(1))),
      },
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
    measure: (ctx) => measure(ctx, 'connected', 'machine'),
  },
  {
    id: 'memory.rss.stored-stream',
    title: "Memory: after a stored stream, RSS above Node's own",
    unit: 'MiB',
    goal: { op: '<=', value: GOAL_MIB_ABOVE_NODE, on: 'measured' },
    measure: (ctx) => measure(ctx, 'streamed again', 'machine'),
  },
  {
    id: 'memory.rss.stored-stream.board',
    title: `Memory: after a stored stream, V8 sized as on a ${BOARD_MIB} MiB board, RSS above Node's own`,
    unit: 'MiB',
    goal: { op: '<=', value: GOAL_MIB_ABOVE_NODE, on: 'measured' },
    measure: (ctx) => measure(ctx, 'streamed again', 'board'),
  },
  {
    id: 'memory.rss.stored-stream.shipped',
    title: `Memory: after a stored stream, as shipped for boards (${BOARD_MIB} MiB board, the Yocto wrapper's node flags, the unit's environment), RSS above Node's own`,
    unit: 'MiB',
    goal: { op: '<=', value: GOAL_MIB_ABOVE_NODE, on: 'measured' },
    measure: (ctx) => measure(ctx, 'streamed again', 'shipped'),
  },
]
