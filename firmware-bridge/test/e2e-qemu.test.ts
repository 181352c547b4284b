/**
 * End to end: the example firmware (firmware-bridge/c) on QEMU's emulated Cortex-M3 board
 * (mps2-an385), its UART a pseudo-terminal, relayed by the pty relay to `astarte-bridge`, which
 * makes it an Astarte device on the sandbox over mutual TLS.
 */
import { strict as assert } from 'node:assert'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { randomDeviceId } from '@astarte-ts/sdk-core'
import { buildQemuFirmware, qemuArgs } from '../c/build.mjs'
import {
  type Env,
  type RelayOptions,
  eventually,
  spawnBridge,
  startBridge,
  startEnv,
  startRelay,
} from './helpers/env.js'

const LONG = { timeout: 240_000 }
const S = 'org.astarte-ts.bridge.Sensor'

let env: Env
let elf: string
before(async () => {
  elf = buildQemuFirmware()
  env = await startEnv()
})
after(async () => {
  await env.stop()
})

interface Qemu {
  readonly pty: string
  readonly child: ChildProcess
  /** Everything the firmware logged (semihosting) and QEMU printed. */
  log(): string
  /** Resets the board through QEMU's monitor (a reboot: RAM lost, the boot file counts on). */
  reset(): Promise<void>
  stop(): Promise<void>
}

async function startQemu(words: readonly string[]): Promise<Qemu> {
  const monitor = join(env.tmp, `qemu-${randomBytes(4).toString('hex')}.sock`)
  const args = qemuArgs(elf, words)
  args.splice(args.indexOf('-monitor') + 1, 1, `unix:${monitor},server=on,wait=off`)
  const child = spawn('qemu-system-arm', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  for (const s of [child.stdout!, child.stderr!])
    s.on('data', (d: Buffer) => (text += d.toString()))
  const pty = await eventually(
    "QEMU's pty",
    () => /char device redirected to (\/dev\/pts\/\d+)/.exec(text)?.[1],
    (p) => p !== undefined,
  )
  return {
    pty: pty!,
    child,
    log: () => text,
    reset: () =>
      new Promise((resolve, reject) => {
        const sock = createConnection(monitor, () => sock.end('system_reset\n', () => resolve()))
        sock.on('error', reject)
      }),
    async stop() {
      if (child.exitCode !== null) return
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await gone
    },
  }
}

/**
 * The firmware booted with `words` in QEMU, the relay between its serial port and the host's
 * (`relay` options beside `mcu`), and an in-process bridge for a new device; stopped after `t`,
 * bridge first.
 */
async function startRig(
  t: TestContext,
  words: readonly string[],
  relay: Omit<RelayOptions, 'mcu'> = {},
) {
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const qemu = await startQemu(words)
  const link = await startRelay({ ...relay, mcu: qemu.pty })
  const bridge = await startBridge(env, link, undefined, deviceId)
  t.after(async () => {
    await bridge.stop()
    await link.stop()
    await qemu.stop()
  })
  return { deviceId, qemu, relay: link, bridge }
}

/** Waits until the firmware's log (from offset `from`) satisfies `matches`. */
function logShows(
  qemu: Qemu,
  what: string,
  matches: (log: string) => boolean,
  ms = 60_000,
  from = 0,
): Promise<string> {
  return eventually(what, () => qemu.log().slice(from), matches, ms)
}

/** Sets the server-owned setpoint through the AppEngine API; Astarte must accept it. */
async function putSetpoint(deviceId: string, value: number): Promise<void> {
  const path = `devices/${deviceId}/interfaces/org.astarte-ts.bridge.Setpoint/setpoint`
  assert.equal((await env.api('PUT', path, value)).status, 200)
}

type Sample = { value: unknown; timestamp: string }

/**
 * The example firmware's readings without a setpoint, computed as app.c does (the room drifts
 * to 21.5 °C with deterministic noise; IEEE doubles give the same bits on both sides).
 */
function expectedReadings(n: number): number[] {
  const out: number[] = []
  let t = 21.5
  for (let i = 0; i < n; i++) {
    const noise = ((i * 7) % 11) / 100 - 0.05
    t += (21.5 - t) / 4 + noise / 4
    out.push(t)
  }
  return out
}

/** Every reading from the first on, in order, none missing, none twice (times may be re-based). */
function assertAllReadings(samples: readonly Sample[]): void {
  const values = [...samples]
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp))
    .map((s) => s.value)
  assert.deepEqual(values, expectedReadings(values.length))
}

/** Readings are `period` apart: no reading missing between the first and the last, none twice. */
function assertContiguous(samples: readonly Sample[], period: number): void {
  const times = samples.map((s) => Date.parse(s.timestamp)).sort((a, b) => a - b)
  assert.equal(new Set(times).size, times.length, 'a reading stored twice')
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!
    assert.ok(
      gap > period / 2 && gap < period * 1.5,
      `readings ${i - 1}→${i} are ${gap} ms apart, period ${period}`,
    )
  }
}

test(
  'QEMU firmware ⇄ bridge ⇄ sandbox: typed, timestamped data and properties arrive; the server setpoint steers the firmware',
  LONG,
  async (t) => {
    const { deviceId, qemu } = await startRig(t, ['boot=1', 'period=500'])
    const started = Date.now()
    await logShows(qemu, 'the session', (l) => /^ready$/m.test(l))
    const temps = await eventually(
      'temperatures',
      () => env.samples(deviceId, S, '/temperature'),
      (s) => s.length >= 12,
      60_000,
    )
    for (const s of temps) {
      assert.equal(typeof s.value, 'number')
      const at = Date.parse(s.timestamp)
      assert.ok(
        at >= started - 1000 && at <= Date.now() + 1000,
        `timestamp ${s.timestamp} outside the run`,
      )
    }
    assertContiguous(temps, 500)
    const uptime = await eventually(
      'the uptime',
      () => env.samples(deviceId, S, '/uptime'),
      (s) => s.length >= 1,
      60_000,
    )
    assert.ok(Number.isInteger(Number(uptime[0]!.value)) && Number(uptime[0]!.value) > 0)
    const air = await eventually(
      'the air object',
      () => env.samples(deviceId, 'org.astarte-ts.bridge.Air', '/lab'),
      (s) => s.length >= 1,
      60_000,
    )
    const first = air[0] as unknown as { temperature: unknown; humidity: unknown }
    assert.equal(typeof first.temperature, 'number')
    assert.equal(typeof first.humidity, 'number')
    const status = await env.api(
      'GET',
      `devices/${deviceId}/interfaces/org.astarte-ts.bridge.Status`,
    )
    assert.deepEqual(status.data, { firmware: 'sensor 1.0.0', periodMs: 500 })

    await putSetpoint(deviceId, 30)
    await logShows(qemu, 'the setpoint at the firmware', (l) => /^setpoint 30\.000$/m.test(l))
    await eventually(
      'the room warming to the setpoint',
      () => env.samples(deviceId, S, '/temperature'),
      (s) => Number(s[s.length - 1]!.value) > 29,
      60_000,
    )
  },
)

test(
  'QEMU firmware through a noisy line: resync and retransmit, no reading lost or stored twice',
  LONG,
  async (t) => {
    const { deviceId, qemu, relay, bridge } = await startRig(t, ['boot=1', 'period=1000'], {
      flip: 0.001,
      drop: 0.0005,
      garbage: 0.0005,
      seed: 3,
    })
    await logShows(qemu, 'the session through the noise', (l) => /^ready$/m.test(l), 90_000)
    await eventually(
      '20 readings through the noise',
      () => env.samples(deviceId, S, '/temperature'),
      (s) => s.length >= 20,
      120_000,
    )
    relay.toggleNoise()
    const quietFrom = Date.now()
    // Once the line is clean, everything queued in the firmware arrives.
    const all = await eventually(
      'the readings after the noise',
      () => env.samples(deviceId, S, '/temperature'),
      (s) => s.some((x) => Date.parse(x.timestamp) > quietFrom + 3000),
      60_000,
    )
    assertAllReadings(all)
    const m = bridge.metrics()[relay.hostPath]!
    assert.ok(m.resyncs > 0, `the noise made no frame fail: ${JSON.stringify(m)}`)
  },
)

test(
  'QEMU board reset (new boot counter): the bridge resends the server setpoint without the server',
  LONG,
  async (t) => {
    const bootFile = join(await mkdtemp(join(env.tmp, 'boot-')), 'count')
    const { deviceId, qemu } = await startRig(t, [`bootfile=${bootFile}`, 'period=1000'])
    await logShows(
      qemu,
      "the first boot's session",
      (l) => /^boot 1$/m.test(l) && /^ready$/m.test(l),
    )
    await putSetpoint(deviceId, 25)
    await logShows(qemu, 'the setpoint at boot 1', (l) => /^setpoint 25\.000$/m.test(l))
    const before = qemu.log().length
    await qemu.reset()
    await logShows(
      qemu,
      'the setpoint again after the reset',
      (l) => /^boot 2$/m.test(l) && /^setpoint 25\.000$/m.test(l),
      60_000,
      before,
    )
  },
)

test(
  'bridge SIGKILLed and restarted: the QEMU firmware resends what was not acknowledged, nothing lost',
  LONG,
  async (t) => {
    const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
    const qemu = await startQemu(['boot=1', 'period=2000'])
    const relay = await startRelay({ mcu: qemu.pty })
    const storeDir = await mkdtemp(join(env.tmp, 'store-'))
    let bridge = await spawnBridge(env, relay, storeDir, deviceId)
    t.after(async () => {
      bridge.kill('SIGKILL')
      await relay.stop()
      await qemu.stop()
    })
    await eventually(
      'readings through the first bridge',
      () => env.samples(deviceId, S, '/temperature'),
      (s) => s.length >= 3,
      90_000,
    )
    const exited = new Promise((r) => bridge.once('exit', r))
    bridge.kill('SIGKILL')
    await exited
    const killedAt = Date.now()
    await new Promise((r) => setTimeout(r, 3000))
    bridge = await spawnBridge(env, relay, storeDir, deviceId)
    const all = await eventually(
      'readings after the restart',
      () => env.samples(deviceId, S, '/temperature'),
      (s) => s.some((x) => Date.parse(x.timestamp) > killedAt + 8000),
      120_000,
    )
    // At least once across the crash: a frame stored but not acknowledged may come twice.
    const unique = [...new Map(all.map((s) => [s.timestamp, s])).values()]
    assert.ok(
      all.length - unique.length <= 4,
      `${all.length - unique.length} readings stored twice`,
    )
    assertAllReadings(unique)
  },
)
