/**
 * @module bench firmware-bridge rows: a microcontroller on a 115 200-baud serial line (a real
 * pseudo-terminal paced to that rate by the pty relay) speaking the bridge protocol — the
 * TypeScript MCU peer, sending doubles with timestamps in SENDs of 8, 100 ms apart — through
 * `astarte-bridge` (in this process) to the sandbox over mutual TLS.
 * - `bridge.bytes-per-sample`: bytes the MCU wrote on the line per sample (frames, their
 *   retransmissions and everything else it sent after the handshake).
 * - `bridge.samples-per-second`: samples per second from the first SEND queued to the last
 *   sample readable in the sandbox's AppEngine API (end to end).
 */
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startSandbox } from '@astarte-ts/sandbox'
import { Bridge, Float64, McuPeer } from '../../../firmware-bridge/src/index.js'
import { startRelay } from '../../../firmware-bridge/scripts/pty-relay.js'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import { repoRoot } from '../fleet/fleet-env.js'

const quiet = { log: () => undefined }
const BAUD = 115_200
const PER_FRAME = 8
const interfacesDir = join(repoRoot, 'firmware-bridge', 'interfaces')

interface BridgeRun {
  readonly samples: number
  /** SEND arrival to its ACK, last frame, ms (the host's share of the round trip). */
  readonly storeLatencyMs: number
  readonly bytesUp: number
  readonly ackedMs: number
  readonly storedMs: number
}

async function runBridge(ctx: BenchContext): Promise<BridgeRun> {
  const dir = join(ctx.tmpDir, 'bridge')
  await mkdir(dir, { recursive: true })
  const sandbox = await startSandbox({ logger: quiet, dataDir: join(dir, 'sandbox') })
  ctx.defer(() => sandbox.stop())
  for (const name of await readdir(interfacesDir)) {
    const res = await fetch(`${sandbox.realmManagementUrl}/v1/${sandbox.realm}/interfaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: JSON.parse(await readFile(join(interfacesDir, name), 'utf8')) }),
    })
    if (res.status !== 201) throw new Error(`install ${name}: ${res.status}`)
  }
  const relay = await startRelay({ baud: BAUD })
  ctx.defer(() => relay.stop())
  const bridge = await Bridge.start({
    config: {
      realm: sandbox.realm,
      pairingUrl: sandbox.pairingUrl,
      interfacesDir,
      storeDir: join(dir, 'store'),
      pairingJwt: sandbox.jwt,
      metricsIntervalSeconds: 0,
      ports: [{ path: relay.hostPath, baudRate: BAUD }],
    },
    caPem: sandbox.caPem,
    logger: quiet,
  })
  ctx.defer(() => bridge.stop())
  let bytesUp = 0
  let acked = 0
  const samples = ctx.count(6000, 1200, PER_FRAME)
  const mcu = new McuPeer({
    write: (b) => {
      bytesUp += b.length
      relay.write(b)
    },
    interfaces: ['org.astarte-ts.bridge.Sensor:1:0'],
    bootCounter: 1,
    identity: 'bench-board',
    onSettled: (m) => {
      if (m.type === 'send') acked += m.samples.length
    },
  })
  relay.onData((b) => mcu.receive(b))
  ctx.defer(() => mcu.close())
  mcu.hello()
  while (!mcu.established) await new Promise((r) => setTimeout(r, 20))
  const device = bridge.device(relay.hostPath)
  while (device?.state !== 'online') await new Promise((r) => setTimeout(r, 20))
  bytesUp = 0
  const t0 = Date.UTC(2026, 11, 7)
  const start = performance.now()
  for (let i = 0; i < samples; i += PER_FRAME) {
    const n = Math.min(PER_FRAME, samples - i)
    mcu.send(Array.from({ length: n }, (_, k) => ({ target: { mapping: 0, params: [] }, value: new Float64(20 + Math.sin(i + k) * 5), time: t0 + (i + k) * 100 })))
  }
  let ackedMs = 0
  let storedMs = 0
  // Only what arrived since the last poll, so polling costs little in this shared process.
  const base = `${sandbox.appengineUrl}/v1/${sandbox.realm}/devices/${mcu.deviceId!}/interfaces/org.astarte-ts.bridge.Sensor/temperature`
  let seen = 0
  let after: string | undefined
  for (;;) {
    await new Promise((r) => setTimeout(r, 200))
    if (ackedMs === 0 && acked === samples) ackedMs = performance.now() - start
    const query = after === undefined ? '?limit=100000' : `?since_after=${encodeURIComponent(after)}&limit=100000`
    const res = await fetch(base + query, { headers: { authorization: `Bearer ${sandbox.jwt}` } })
    const page = res.status === 200 ? ((await res.json()) as { data: { timestamp: string }[] }).data : []
    seen += page.length
    if (page.length > 0) after = page[page.length - 1]!.timestamp
    if (seen >= samples) {
      storedMs = performance.now() - start
      break
    }
    if (performance.now() - start > 600_000) throw new Error(`bridge bench: ${seen} of ${samples} samples arrived in 10 min`)
  }
  if (ackedMs === 0) ackedMs = storedMs
  const storeLatencyMs = bridge.metrics()[relay.hostPath]?.storeLatencyMs ?? NaN
  return { samples, bytesUp, ackedMs, storedMs, storeLatencyMs }
}

const shared = (ctx: BenchContext): Promise<BridgeRun> => ctx.shared('firmware-bridge-run', () => runBridge(ctx))

async function bytesPerSample(ctx: BenchContext): Promise<Measurement> {
  const run = await shared(ctx)
  return {
    measured: run.bytesUp / run.samples,
    details: { samples: run.samples, bytesUp: run.bytesUp, samplesPerFrame: PER_FRAME, dtMs: 100, baud: BAUD },
  }
}

async function samplesPerSecond(ctx: BenchContext): Promise<Measurement> {
  const run = await shared(ctx)
  // The line's ceiling: 8N1 is 10 bits a byte.
  const ceiling = BAUD / 10 / (run.bytesUp / run.samples)
  return {
    measured: run.samples / (run.storedMs / 1000),
    details: {
      samples: run.samples,
      ackedPerSecond: Math.round(run.samples / (run.ackedMs / 1000)),
      lineCeilingPerSecond: Math.round(ceiling),
      storedMs: Math.round(run.storedMs),
      hostStoreMsLastFrame: run.storeLatencyMs,
    },
  }
}

export const bridgeRows: readonly RowSpec[] = [
  {
    id: 'bridge.bytes-per-sample',
    title: 'Firmware bridge: serial bytes per double sample with timestamp',
    unit: 'B',
    goal: { op: '<=', value: 16, on: 'measured' },
    measure: bytesPerSample,
  },
  {
    id: 'bridge.samples-per-second',
    title: 'Firmware bridge: samples/s MCU → sandbox over 115 200 baud',
    unit: 'samples/s',
    goal: { op: '>=', value: 700, on: 'measured' },
    measure: samplesPerSecond,
  },
]
