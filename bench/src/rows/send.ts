/**
 * @module bench send rows: `device.send` throughput through the whole SDK (validation, BSON,
 * the core's queue and in-flight window, MQTT.js) against raw MQTT.js publishing the same
 * payloads, pre-encoded, on the same topic of the same Mosquitto. Both are run as their users
 * write them: every message started at once without awaiting, then wait for all outcomes;
 * `device.send` with the device's default options (its in-flight window included), MQTT.js with
 * none (it publishes as fast as the socket takes them). In the details, two more contenders
 * paced as the device is (at most 100 in flight): raw MQTT.js, what the window alone costs it,
 * and the runtime's transport alone, which splits device.send's time into what MQTT.js and TLS
 * take on our build and what validation, encoding, the core and the façade add; and the CPU
 * each contender and the broker spend per message.
 * The contenders run in one child process (`bench/send-child.mjs`) on the built `dist`, as
 * deployed code runs: the bench itself runs on tsx, whose module interop would tax our code
 * but not MQTT.js. Each trial is timed inside the child; rounds interleave as everywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Qos } from '@astarte-ts/sdk-core'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { deviceOptions } from '../device-env.js'
import { repoRoot } from '../fleet/fleet-env.js'
import { interleave, median, roundRatios, type SelfTimed } from '../rounds.js'
import { builtCli, fleetEnv } from './fleet.js'

/** The paced comparison's window: the default `maxInflight`, Astarte's broker's (spec §3.1). */
const WINDOW = 100
const childScript = join(repoRoot, 'bench', 'send-child.mjs')

export interface SendCase {
  readonly id: string
  readonly title: string
  readonly interfaceName: string
  /** The object path or the individual path. */
  readonly path: string
  readonly value: (i: number) => number | Readonly<Record<string, number>>
  readonly qos: Qos
  /** The least ratio to raw MQTT.js. */
  readonly goal: number
}

// The goals: 0.9 at QoS 0, 0.8 at QoS 1; QoS 2 and the object (QoS 1) are held to 0.8.
const individual = (name: string, qos: Qos, title: string, goal: number): SendCase => ({
  id: `send.qos${qos}`,
  title,
  interfaceName: `org.astarte-ts.bench.${name}`,
  path: '/value',
  value: (i) => 20 + (i % 1000) / 100,
  qos,
  goal,
})

export const sendCases: readonly SendCase[] = [
  individual('Unreliable', 0, 'device.send: double, QoS 0', 0.9),
  individual('Guaranteed', 1, 'device.send: double, QoS 1', 0.8),
  individual('Unique', 2, 'device.send: double, QoS 2', 0.8),
  {
    id: 'send.object',
    title: 'device.sendObject: 4 doubles, QoS 1',
    interfaceName: 'org.astarte-ts.bench.Object',
    path: '/s1',
    value: (i) => ({ hum: 40 + (i % 10), temp: 21.5, press: 1013.2, co2: 400 + (i % 50) }),
    qos: 1,
    goal: 0.8,
  },
]

type Reply =
  | { readonly type: 'ready' }
  | ({ readonly type: 'trial'; readonly cpuSeconds: number } & SelfTimed)
  | { readonly type: 'error'; readonly message: string }

/** The child, answering one request at a time (see `bench/send-child.mjs`). */
export interface SendChild {
  readonly runner: 'dist' | 'tsx'
  request(message: object): Promise<Reply>
}

function replyOf(proc: ChildProcess, stderr: () => string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply): void => {
      proc.off('exit', onExit)
      if (reply.type === 'error') reject(new Error(`send child: ${reply.message}`))
      else resolve(reply)
    }
    const onExit = (code: number | null): void => {
      proc.off('message', onMessage)
      reject(new Error(`send child exited (${code}): ${stderr()}`))
    }
    proc.once('message', onMessage)
    proc.once('exit', onExit)
  })
}

export function sendChild(ctx: BenchContext): Promise<SendChild> {
  return ctx.shared('send-child', async () => {
    const [env, runner] = await Promise.all([fleetEnv(ctx), builtCli(ctx)])
    // the fallback when dist doesn't build: the same child on the sources, reported as `tsx`
    const loader =
      runner.kind === 'dist' ? [] : ['--conditions=@astarte-ts/source', '--import', 'tsx']
    const options = deviceOptions(env, join(ctx.tmpDir, 'devices'), 'bench-send')
    const { host, port } = env.mosquitto
    const proc = spawn(process.execPath, [...loader, childScript], {
      cwd: repoRoot,
      env: {
        ...process.env,
        BENCH_DEVICE_OPTIONS: JSON.stringify(options),
        BENCH_BROKER: JSON.stringify({ host, port }),
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    let stderr = ''
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    ctx.defer(async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      if (proc.connected) proc.send({ type: 'close' })
      else proc.kill()
      await exited
    })
    await replyOf(proc, () => stderr)
    return {
      runner: runner.kind,
      request(message) {
        const reply = replyOf(proc, () => stderr)
        proc.send(message)
        return reply
      },
    }
  })
}

/** What a send trial took, µs per message: wall time, the child's CPU, the broker's CPU. */
export interface TrialCost {
  readonly wall: number
  readonly process: number
  readonly broker: number
}

/** Seconds of CPU the process `pid` has used (Linux `/proc`); NaN elsewhere. */
function cpuSecondsOf(pid: number): number {
  try {
    // the fields after the command name, which may hold spaces: utime and stime are 14 and 15
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

/**
 * Asks the child for one trial of `contender` on the current case; `costs` receives its cost
 * per message, with the CPU the broker (`brokerPid`) spent meanwhile.
 */
export function trialOf(
  child: SendChild,
  contender: string,
  brokerPid: number,
  costs: TrialCost[] = [],
): () => Promise<SelfTimed> {
  return async () => {
    const broker = cpuSecondsOf(brokerPid)
    const reply = await child.request({ type: 'trial', contender })
    if (reply.type !== 'trial') throw new Error(`send child: unexpected ${reply.type}`)
    const perMessage = (seconds: number): number => (seconds * 1e6) / reply.units
    costs.push({
      wall: perMessage(reply.seconds),
      process: perMessage(reply.cpuSeconds),
      broker: perMessage(cpuSecondsOf(brokerPid) - broker),
    })
    return reply
  }
}

/** Loads a case's values into the child; `n` messages per trial. */
export async function prepareCase(child: SendChild, c: SendCase, n: number): Promise<void> {
  const values = Array.from({ length: n }, (_, i) => c.value(i))
  const { interfaceName, path, qos } = c
  await child.request({ type: 'case', interfaceName, path, qos, values, window: WINDOW })
}

const rounded = (x: number): number => Number(x.toFixed(3))

function spread(ratios: readonly number[]): { min: number; median: number; max: number } {
  return {
    min: rounded(Math.min(...ratios)),
    median: rounded(median(ratios)),
    max: rounded(Math.max(...ratios)),
  }
}

/** Medians over the measured rounds (the warm-up's trial comes first and is left out). */
export function medianCost(costs: readonly TrialCost[]): TrialCost {
  const measured = costs.slice(1)
  return {
    wall: rounded(median(measured.map((c) => c.wall))),
    process: rounded(median(measured.map((c) => c.process))),
    broker: rounded(median(measured.map((c) => c.broker))),
  }
}

const contenders = [
  { key: 'deviceSend', name: 'device.send', contender: 'ours' },
  { key: 'rawMqttJs', name: 'raw MQTT.js', contender: 'raw' },
  { key: 'rawMqttJsWindowed', name: 'raw MQTT.js, window', contender: 'raw-window' },
  { key: 'transportWindowed', name: 'transport alone, window', contender: 'transport-window' },
] as const

async function measureSend(ctx: BenchContext, c: SendCase): Promise<Measurement> {
  const child = await sendChild(ctx)
  const brokerPid = (await fleetEnv(ctx)).mosquitto.pid
  // long enough that a trial spans several garbage collections (10 000 at QoS 0 was ~50 ms);
  // QoS 0 runs 5 times as many, ~0.6 s a trial: at 50 000 (~0.13 s) one scheduling hiccup of
  // this shared 2-core machine moved a round's ratio between 0.54 and 1.87
  const n = ctx.count(c.qos === 0 ? 250_000 : 50_000, 1_000, 20)
  await prepareCase(child, c, n)
  const costs = contenders.map((): TrialCost[] => [])
  const result = await interleave(
    contenders.map(({ name, contender }, i) => ({
      name,
      trial: trialOf(child, contender, brokerPid, costs[i]),
    })),
    ctx.rounds,
  )
  const rates = result.medians.map((m) => m ?? Number.NaN)
  const [ours = [], reference = [], referenceWindowed = []] = result.rounds
  // device.send over raw MQTT.js within each round: their median is the row's ratio, their
  // spread the run's noise
  const perRound = roundRatios(ours, reference)
  const byContender = <T>(value: (i: number) => T): Record<string, T> =>
    Object.fromEntries(contenders.map(({ key }, i) => [key, value(i)]))
  return {
    measured: rates[0] ?? Number.NaN,
    reference: { name: 'raw MQTT.js', measured: rates[1] ?? Number.NaN },
    ratio: median(perRound),
    details: {
      roundRatios: spread(perRound),
      // msg/s, medians of rounds
      throughput: byContender((i) => rates[i]),
      // µs per message, medians of rounds: wall time, this child's CPU, the broker's CPU
      // meanwhile (the machine's two cores run both)
      costPerMessage: byContender((i) => medianCost(costs[i] ?? [])),
      // device.send over raw MQTT.js when both have at most WINDOW in flight: the SDK's own
      // cost, the window's left out
      windowedRatio: spread(roundRatios(ours, referenceWindowed)),
      window: WINDOW,
      messagesPerTrial: n,
      qos: c.qos,
      runner: child.runner,
      contenders: contenders.map(({ name }) => name),
      rounds: result.rounds,
    },
  }
}

export const sendRows: readonly RowSpec[] = sendCases.map((c) => ({
  id: c.id,
  title: c.title,
  unit: 'msg/s',
  goal: { op: '>=', value: c.goal, on: 'ratio' },
  measure: (ctx: BenchContext) => measureSend(ctx, c),
}))
