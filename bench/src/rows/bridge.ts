/**
 * @module bench firmware-bridge rows: a microcontroller on a 115 200-baud serial line (a real
 * pseudo-terminal paced to that rate, each direction on its own, by the pty relay) speaking the
 * bridge protocol through `astarte-bridge` (in this process) to the sandbox over mutual TLS.
 * - `bridge.bytes-per-sample`, `bridge.samples-per-second`: the TypeScript MCU peer sending
 *   doubles with timestamps in SENDs of 8, 100 ms apart: bytes it wrote per sample (frames, their
 *   retransmissions, everything after the handshake), and samples per second from the first SEND
 *   queued to the last sample readable in the sandbox's AppEngine API.
 * - `bridge.qemu.*`: the example C firmware on QEMU's mps2-an385 sampling every millisecond (more
 *   than the line carries, so the line sets the pace): bytes it sent per stored sample, and
 *   samples stored per second, over a window after a warm-up.
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { randomDeviceId } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { Bridge, Float64, McuPeer, startRelay } from '@astarte-ts/firmware-bridge'
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

interface BridgeSandbox {
  readonly sandbox: Sandbox
  readonly dir: string
}

/** One sandbox for the bridge rows, with the board's interfaces installed. */
function bridgeSandbox(ctx: BenchContext): Promise<BridgeSandbox> {
  return ctx.shared('firmware-bridge-sandbox', async () => {
    const dir = join(ctx.tmpDir, 'bridge')
    await mkdir(dir, { recursive: true })
    const sandbox = await startSandbox({ logger: quiet, dataDir: join(dir, 'sandbox') })
    ctx.defer(() => sandbox.stop())
    await sandbox.installInterfaces(interfacesDir)
    return { sandbox, dir }
  })
}

async function startBenchBridge(
  ctx: BenchContext,
  env: BridgeSandbox,
  port: string,
  name: string,
  deviceId?: string,
): Promise<Bridge> {
  const { sandbox, dir } = env
  const bridge = await Bridge.start({
    config: {
      realm: sandbox.realm,
      pairingUrl: sandbox.pairingUrl,
      interfacesDir,
      storeDir: join(dir, `store-${name}`),
      pairingJwt: sandbox.jwt,
      metricsIntervalSeconds: 0,
      ports: [{ path: port, baudRate: BAUD, ...(deviceId === undefined ? {} : { deviceId }) }],
    },
    caPem: sandbox.caPem,
    logger: quiet,
  })
  ctx.defer(() => bridge.stop())
  return bridge
}

async function runBridge(ctx: BenchContext): Promise<BridgeRun> {
  const env = await bridgeSandbox(ctx)
  const { sandbox } = env
  const relay = await startRelay({ baud: BAUD })
  ctx.defer(() => relay.stop())
  const bridge = await startBenchBridge(ctx, env, relay.hostPath, 'ts')
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
    mcu.send(
      Array.from({ length: n }, (_, k) => ({
        target: { mapping: 0, params: [] },
        value: new Float64(20 + Math.sin(i + k) * 5),
        time: t0 + (i + k) * 100,
      })),
    )
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
    const query =
      after === undefined
        ? '?limit=100000'
        : `?since_after=${encodeURIComponent(after)}&limit=100000`
    const res = await fetch(base + query, { headers: { authorization: `Bearer ${sandbox.jwt}` } })
    const page =
      res.status === 200 ? ((await res.json()) as { data: { timestamp: string }[] }).data : []
    seen += page.length
    if (page.length > 0) after = page[page.length - 1]!.timestamp
    if (seen >= samples) {
      storedMs = performance.now() - start
      break
    }
    if (performance.now() - start > 600_000)
      throw new Error(`bridge bench: ${seen} of ${samples} samples arrived in 10 min`)
  }
  if (ackedMs === 0) ackedMs = storedMs
  const storeLatencyMs = bridge.metrics()[relay.hostPath]?.storeLatencyMs ?? NaN
  return { samples, bytesUp, ackedMs, storedMs, storeLatencyMs }
}

interface QemuRun {
  readonly samples: number
  readonly seconds: number
  readonly bytesUp: number
}

/** Samples stored for `deviceId` on the board's three datastream paths. */
async function storedCount(sandbox: Sandbox, deviceId: string): Promise<number> {
  let n = 0
  for (const [iface, path] of [
    ['org.astarte-ts.bridge.Sensor', '/temperature'],
    ['org.astarte-ts.bridge.Sensor', '/uptime'],
    ['org.astarte-ts.bridge.Air', '/lab'],
  ] as const) {
    const res = await fetch(
      `${sandbox.appengineUrl}/v1/${sandbox.realm}/devices/${deviceId}/interfaces/${iface}${path}?limit=1000000`,
      {
        headers: { authorization: `Bearer ${sandbox.jwt}` },
      },
    )
    if (res.status === 200) n += ((await res.json()) as { data: unknown[] }).data.length
  }
  return n
}

/**
 * The example firmware on QEMU sampling every millisecond, more than the line carries: its queue
 * stays full and the line sets the pace. Measured between two counts of what the sandbox stored,
 * after a warm-up, with the relay's byte count over the same span.
 */
async function runQemu(ctx: BenchContext): Promise<QemuRun> {
  const env = await bridgeSandbox(ctx)
  // The C side's build script prints the ELF it (re)built.
  const elf = execFileSync(
    process.execPath,
    [join(repoRoot, 'firmware-bridge', 'c', 'build.mjs'), 'qemu'],
    { encoding: 'utf8' },
  ).trim()
  const semihosting = 'enable=on,target=native,arg=firmware,arg=boot=1,arg=period=1'
  const child = spawn(
    'qemu-system-arm',
    [
      '-M',
      'mps2-an385',
      '-nographic',
      '-monitor',
      'none',
      '-serial',
      'pty',
      '-semihosting-config',
      semihosting,
      '-kernel',
      elf,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  ctx.defer(() => void child.kill('SIGTERM'))
  let text = ''
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (d: Buffer) => (text += d.toString()))
  const waitFor = async (re: RegExp): Promise<RegExpExecArray> => {
    const end = performance.now() + 60_000
    for (;;) {
      const m = re.exec(text)
      if (m !== null) return m
      if (performance.now() > end) throw new Error(`bridge bench: no ${re} from QEMU: ${text}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const [, pty] = await waitFor(/char device redirected to (\/dev\/pts\/\d+)/)
  const relay = await startRelay({ mcu: pty!, baud: BAUD })
  ctx.defer(() => relay.stop())
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const bridge = await startBenchBridge(ctx, env, relay.hostPath, 'qemu', deviceId)
  await waitFor(/^ready$/m)
  while (bridge.device(relay.hostPath)?.state !== 'online')
    await new Promise((r) => setTimeout(r, 50))
  await new Promise((r) => setTimeout(r, 2000))
  const c1 = await storedCount(env.sandbox, deviceId)
  const b1 = (await relay.carried()).up
  const t1 = performance.now()
  await new Promise((r) => setTimeout(r, ctx.quick ? 6000 : 20_000))
  const b2 = (await relay.carried()).up
  const c2 = await storedCount(env.sandbox, deviceId)
  const t2 = performance.now()
  return { samples: c2 - c1, seconds: (t2 - t1) / 1000, bytesUp: b2 - b1 }
}

const sharedQemu = (ctx: BenchContext): Promise<QemuRun> =>
  ctx.shared('firmware-bridge-qemu', () => runQemu(ctx))

async function qemuBytesPerSample(ctx: BenchContext): Promise<Measurement> {
  const run = await sharedQemu(ctx)
  return {
    measured: run.bytesUp / run.samples,
    details: { samples: run.samples, bytesUp: run.bytesUp, seconds: run.seconds, baud: BAUD },
  }
}

async function qemuSamplesPerSecond(ctx: BenchContext): Promise<Measurement> {
  const run = await sharedQemu(ctx)
  return {
    measured: run.samples / run.seconds,
    details: {
      samples: run.samples,
      seconds: run.seconds,
      lineCeilingPerSecond: Math.round(BAUD / 10 / (run.bytesUp / run.samples)),
    },
  }
}

const shared = (ctx: BenchContext): Promise<BridgeRun> =>
  ctx.shared('firmware-bridge-run', () => runBridge(ctx))

async function bytesPerSample(ctx: BenchContext): Promise<Measurement> {
  const run = await shared(ctx)
  return {
    measured: run.bytesUp / run.samples,
    details: {
      samples: run.samples,
      bytesUp: run.bytesUp,
      samplesPerFrame: PER_FRAME,
      dtMs: 100,
      baud: BAUD,
    },
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
  {
    id: 'bridge.qemu.bytes-per-sample',
    title: 'Firmware bridge, QEMU firmware: serial bytes per sample with timestamp',
    unit: 'B',
    goal: { op: '<=', value: 16, on: 'measured' },
    measure: qemuBytesPerSample,
  },
  {
    id: 'bridge.qemu.samples-per-second',
    title: 'Firmware bridge, QEMU firmware: samples/s to the sandbox over 115 200 baud',
    unit: 'samples/s',
    goal: { op: '>=', value: 700, on: 'measured' },
    measure: qemuSamplesPerSecond,
  },
]
