/**
 * @module bench dataflow rows: the agent's dataflow engine in this process, through a real
 * device connected to Mosquitto over mutual TLS.
 * - `dataflow.push`: source → calibrate → average → `device.send` on a `discard` QoS 0 double;
 *   the source emits as fast as the flow takes messages (each turn of the event loop it tops
 *   the flow's queue up to 128, the in-flight window's size: no message is dropped, and the
 *   latency is the pipeline's, not a deep queue's; deeper queues only add waiting). Measured: messages the SDK accepted per second; latency
 *   from emit to acceptance in a fixed histogram (0.01 ms steps); RSS sampled each second, the
 *   growth between the run's second quarter and its last (memory must stay flat).
 * - `dataflow.demand`: a demand flow behind a slow sink (each acceptance delayed 2 ms): the
 *   largest queue seen, which must never pass its bound.
 */
import { performance } from 'node:perf_hooks'
import type { AstarteDevice, Interface } from '@astarte-ts/sdk-core'
import { Flow, planFlow, processors, type FlowMessage } from '@astarte-ts/agent'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { openBenchDevice } from '../device-env.js'

const UNRELIABLE = 'org.astarte-ts.bench.Unreliable'
const quiet = { log: () => undefined }
const timers = {
  set: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clear: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
}
const clock = { now: () => Date.now() }
const STEP_MS = 0.01
const BUCKETS = 100_000 // up to 1 s
const WINDOW = 128

/** The push endpoint the bench drives: `tick` emits, the flow's queue decides how many. */
function pacedSource(room: () => number) {
  let emit: ((m: FlowMessage) => void) | undefined
  let emitted = 0
  let running = false
  const tags = { sensor: 'bench' }
  const tick = (): void => {
    if (!running || emit === undefined) return
    for (let n = room(); n > 0; n--) {
      emit({ value: 20 + (emitted++ % 1000) / 100, timestamp: performance.now(), tags })
    }
    setImmediate(tick)
  }
  return {
    endpoint: {
      name: 'bench',
      push: {
        start(e: (m: FlowMessage) => void) {
          emit = e
          running = true
          setImmediate(tick)
        },
        stop() {
          running = false
        },
      },
    },
    emitted: () => emitted,
  }
}

function percentile(histogram: Uint32Array, total: number, p: number): number {
  const target = Math.ceil(total * p)
  let seen = 0
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] as number
    if (seen >= target) return (i + 1) * STEP_MS
  }
  return Infinity
}

function iface(device: AstarteDevice, name: string): Interface {
  const found = device.interfaces().find((i) => i.name === name)
  if (found === undefined) throw new Error(`bench interface ${name} missing`)
  return found
}

async function measurePush(ctx: BenchContext): Promise<Measurement> {
  const device = await openBenchDevice(ctx, 'bench-dataflow-push')
  await device.connect()
  const durationMs = ctx.count(600_000, 15_000, 1_000)
  const buffer = 4096
  const histogram = new Uint32Array(BUCKETS)
  let latencies = 0
  let flowRef: Flow | undefined
  const source = pacedSource(() => Math.max(0, WINDOW - (flowRef?.metrics().queue.length ?? 0)))
  const spec = processors
    .flow('bench')
    .push(source.endpoint)
    .through(processors.calibrate({ gain: 1.01, offset: -0.2 }), processors.average({ window: 10 }))
    .to(iface(device, UNRELIABLE), '/value')
    .limits({ buffer, inFlight: WINDOW })
    .build()
  const running = new Flow(planFlow(spec, { clock, timers, logger: quiet }), {
    device,
    clock,
    timers,
    logger: quiet,
    onAccepted(m) {
      const bucket = Math.floor((performance.now() - m.timestamp) / STEP_MS)
      const at = Math.min(bucket, BUCKETS - 1)
      histogram[at] = (histogram[at] as number) + 1
      latencies++
    },
  })
  flowRef = running
  const rss: number[] = []
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 1000)
  const started = performance.now()
  await running.start()
  await new Promise((r) => setTimeout(r, durationMs))
  await running.stop()
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  const m = running.metrics()
  const dropped = Object.values(m.dropped).reduce((a, b) => a + b, 0)
  const quarter = Math.max(1, Math.floor(rss.length / 4))
  const mib = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length) / 2 ** 20
  const early = mib(rss.slice(quarter, 2 * quarter))
  const late = mib(rss.slice(-quarter))
  return {
    measured: m.accepted / seconds,
    details: {
      seconds: Math.round(seconds * 10) / 10,
      emitted: source.emitted(),
      accepted: m.accepted,
      dropped,
      p50Ms: percentile(histogram, latencies, 0.5),
      p99Ms: percentile(histogram, latencies, 0.99),
      maxQueue: m.queue.max,
      maxInFlight: m.inFlight.max,
      rssSecondQuarterMiB: Math.round(early * 10) / 10,
      rssLastQuarterMiB: Math.round(late * 10) / 10,
      rssGrowthMiB: Math.round((late - early) * 10) / 10,
      runner: 'tsx, in the bench process',
    },
  }
}

async function measureDemand(ctx: BenchContext): Promise<Measurement> {
  const device = await openBenchDevice(ctx, 'bench-dataflow-demand')
  await device.connect()
  const slow = Object.assign(Object.create(device) as AstarteDevice, {
    send: (...args: Parameters<AstarteDevice['send']>) =>
      device.send(...args).then(() => new Promise<void>((r) => setTimeout(r, 2))),
  })
  const bound = 64
  let next = 0
  const durationMs = ctx.count(20_000, 3_000, 500)
  const spec = processors
    .flow('bench-demand')
    .demand({
      name: 'bench',
      read: {
        read: async (n: number) =>
          Array.from({ length: n }, () => ({ value: next++ % 100, timestamp: Date.now() })),
      },
    })
    .through(processors.calibrate({ gain: 2 }))
    .to(iface(device, UNRELIABLE), '/value')
    .limits({ buffer: bound, inFlight: 16, readBatch: 32 })
    .build()
  const running = new Flow(planFlow(spec, { clock, timers, logger: quiet }), {
    device: slow,
    clock,
    timers,
    logger: quiet,
  })
  await running.start()
  await new Promise((r) => setTimeout(r, durationMs))
  await running.stop()
  const m = running.metrics()
  return {
    measured: m.queue.max,
    details: {
      bound,
      read: m.received,
      accepted: m.accepted,
      maxInFlight: m.inFlight.max,
      dropped: Object.values(m.dropped).reduce((a, b) => a + b, 0),
    },
  }
}

export const dataflowRows: readonly RowSpec[] = [
  {
    id: 'dataflow.push',
    title: 'Dataflow: push pipeline throughput (calibrate → average → send, discard)',
    unit: 'msg/s',
    goal: { op: '>=', value: 100_000, on: 'measured' },
    measure: measurePush,
  },
  {
    id: 'dataflow.demand',
    title: 'Dataflow: demand queue under a slow sink (bound 64)',
    unit: 'items',
    goal: { op: '<=', value: 64, on: 'measured' },
    measure: measureDemand,
  },
]
