/**
 * @module bench send rows: `device.send` throughput through the whole SDK (validation, BSON,
 * the core's queue and in-flight window, MQTT.js) against raw MQTT.js publishing the same
 * payloads, pre-encoded, on the same topic of the same Mosquitto, 100 in flight for both. A
 * third contender, the runtime's transport alone publishing those pre-encoded payloads, goes in
 * the details: it splits device.send's time into what MQTT.js and TLS take on our build and what
 * validation, encoding, the core and the façade add.
 * Both contenders run in one child process (`bench/send-child.mjs`) on the built `dist`, as
 * deployed code runs: the bench itself runs on tsx, whose module interop would tax our code
 * but not MQTT.js. Each trial is timed inside the child; rounds interleave as everywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { Qos } from '@astarte-ts/sdk-core'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { deviceOptions } from '../device-env.js'
import { repoRoot } from '../fleet/fleet-env.js'
import { interleave, median, roundRatios, type SelfTimed } from '../rounds.js'
import { builtCli, fleetEnv } from './fleet.js'

const WINDOW = 100
const childScript = join(repoRoot, 'bench', 'send-child.mjs')

interface SendCase {
  readonly id: string
  readonly title: string
  readonly interfaceName: string
  /** The object path or the individual path. */
  readonly path: string
  readonly value: (i: number) => number | Readonly<Record<string, number>>
  readonly qos: Qos
}

const individual = (name: string, qos: Qos, title: string): SendCase => ({
  id: `send.qos${qos}`,
  title,
  interfaceName: `org.astarte-ts.bench.${name}`,
  path: '/value',
  value: (i) => 20 + (i % 1000) / 100,
  qos,
})

const cases: readonly SendCase[] = [
  individual('Unreliable', 0, 'device.send: double, QoS 0'),
  individual('Guaranteed', 1, 'device.send: double, QoS 1'),
  individual('Unique', 2, 'device.send: double, QoS 2'),
  {
    id: 'send.object',
    title: 'device.sendObject: 4 doubles, QoS 1',
    interfaceName: 'org.astarte-ts.bench.Object',
    path: '/s1',
    value: (i) => ({ hum: 40 + (i % 10), temp: 21.5, press: 1013.2, co2: 400 + (i % 50) }),
    qos: 1,
  },
]

type Reply =
  | { readonly type: 'ready' }
  | ({ readonly type: 'trial' } & SelfTimed)
  | { readonly type: 'error'; readonly message: string }

/** The child, answering one request at a time (see `bench/send-child.mjs`). */
interface SendChild {
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

function sendChild(ctx: BenchContext): Promise<SendChild> {
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

async function measureSend(ctx: BenchContext, c: SendCase): Promise<Measurement> {
  const child = await sendChild(ctx)
  // long enough that a trial spans several garbage collections (10 000 at QoS 0 was ~50 ms)
  const n = ctx.count(50_000, 1_000, 20)
  const values = Array.from({ length: n }, (_, i) => c.value(i))
  const { interfaceName, path, qos } = c
  await child.request({ type: 'case', interfaceName, path, qos, values, window: WINDOW })
  const trial = (contender: 'ours' | 'raw' | 'transport') => async (): Promise<SelfTimed> => {
    const reply = await child.request({ type: 'trial', contender })
    if (reply.type !== 'trial') throw new Error(`send child: unexpected ${reply.type}`)
    return reply
  }
  const result = await interleave(
    [
      { name: 'device.send', trial: trial('ours') },
      { name: 'raw MQTT.js', trial: trial('raw') },
      { name: 'transport alone', trial: trial('transport') },
    ],
    ctx.rounds,
  )
  const [device, raw, transport] = result.medians.map((m) => m ?? Number.NaN) as [
    number,
    number,
    number,
  ]
  const micros = (perSecond: number): number => Number((1e6 / perSecond).toFixed(3))
  // device.send over raw MQTT.js within each round: their median is the row's ratio, their
  // spread the run's noise
  const [ours = [], reference = []] = result.rounds
  const perRound = roundRatios(ours, reference)
  const rounded = (x: number): number => Number(x.toFixed(3))
  return {
    measured: device,
    reference: { name: 'raw MQTT.js', measured: raw },
    ratio: median(perRound),
    details: {
      transportAlone: transport,
      roundRatios: {
        min: rounded(Math.min(...perRound)),
        median: rounded(median(perRound)),
        max: rounded(Math.max(...perRound)),
      },
      // wall time per message at 100 in flight (CPU-bound at QoS 0, ack-bound above)
      microsecondsPerMessage: {
        deviceSend: micros(device),
        rawMqttJs: micros(raw),
        transportAlone: micros(transport),
      },
      messagesPerTrial: n,
      window: WINDOW,
      qos: c.qos,
      runner: child.runner,
      rounds: result.rounds,
    },
  }
}

export const sendRows: readonly RowSpec[] = cases.map((c) => ({
  id: c.id,
  title: c.title,
  unit: 'msg/s',
  goal: { op: '>=', value: 0.9, on: 'ratio' },
  measure: (ctx: BenchContext) => measureSend(ctx, c),
}))
