/**
 * @module bench retention rows: `retention: stored` through the device — sends while offline
 * resolve once durable in SQLite (the enqueue rate), then a connect replays the backlog at
 * QoS 1, deleting each message on its PUBACK (the replay rate, from sync to empty queue).
 */
import type { Device } from '@astarte-ts/runtime-node'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { openBenchDevice } from '../device-env.js'
import { median, windowed } from '../rounds.js'

const STORED = 'org.astarte-ts.bench.Stored'
// Enough sends in flight for the store to group commits, as an application's bursts would.
const ENQUEUE_WINDOW = 1000

interface RoundResult {
  readonly enqueuePerSec: number
  readonly replayPerSec: number
}

async function drained(device: Device): Promise<void> {
  for (;;) {
    const m = device.metrics()
    if (m.queued === 0 && m.inflight === 0) return
    await new Promise((r) => setTimeout(r, 2))
  }
}

async function oneRound(device: Device, n: number): Promise<RoundResult> {
  const enqueueStart = performance.now()
  await windowed(n, ENQUEUE_WINDOW, (i) => device.send(STORED, '/value', i + 0.5))
  const enqueueSec = (performance.now() - enqueueStart) / 1000
  if (device.metrics().queued < n) throw new Error("couldn't measure: sends left the queue offline")
  await device.connect()
  const replayStart = performance.now()
  await drained(device)
  const replaySec = (performance.now() - replayStart) / 1000
  await device.disconnect()
  return { enqueuePerSec: n / enqueueSec, replayPerSec: n / replaySec }
}

function results(ctx: BenchContext): Promise<{ rounds: RoundResult[]; n: number }> {
  return ctx.shared('retention-rounds', async () => {
    const device = await openBenchDevice(ctx, 'bench-stored')
    // First connection: pairing and the full sync, outside the measured rounds.
    await device.connect()
    await device.disconnect()
    const n = ctx.count(5_000, 300, 50)
    const rounds: RoundResult[] = []
    // At most 3 rounds: a slow store would otherwise dominate the whole bench's run time.
    for (let r = 0; r < Math.min(ctx.rounds, 3); r++) rounds.push(await oneRound(device, n))
    return { rounds, n }
  })
}

async function measure(ctx: BenchContext, pick: keyof RoundResult): Promise<Measurement> {
  const { rounds, n } = await results(ctx)
  const values = rounds.map((r) => r[pick])
  return { measured: median(values), details: { messagesPerRound: n, rounds: values } }
}

export const retentionRows: readonly RowSpec[] = [
  {
    id: 'retention.enqueue',
    title: 'Stored retention: durable enqueue (device offline)',
    unit: 'msg/s',
    goal: { op: '>=', value: 20_000, on: 'measured' },
    measure: (ctx) => measure(ctx, 'enqueuePerSec'),
  },
  {
    id: 'retention.replay',
    title: 'Stored retention: replay after reconnect, QoS 1',
    unit: 'msg/s',
    goal: { op: '>=', value: 5_000, on: 'measured' },
    measure: (ctx) => measure(ctx, 'replayPerSec'),
  },
]
