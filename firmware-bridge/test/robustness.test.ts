import { strict as assert } from 'node:assert'
import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type CborValue, Float64, type SequencedMessage, type Target } from '../src/index.js'
import {
  type Env,
  eventually,
  mcuOn,
  spawnBridge,
  startBridge,
  startEnv,
  startRelay,
} from './helpers/env.js'

let env: Env
before(async () => {
  env = await startEnv()
})
after(async () => {
  await env.stop()
})

const S = 'org.astarte-ts.bridge.Sensor'
const T0 = Date.UTC(2026, 11, 7, 2, 0, 0)

/** Values the MCU saw acknowledged (never refused), from its SEND frames. */
function acknowledged(settled: { m: SequencedMessage; nack?: number }[]): number[] {
  return settled.flatMap(({ m, nack }) => {
    assert.equal(nack, undefined, `frame refused with reason ${nack}`)
    return m.type === 'send' ? m.samples.map((s) => (s.value as Float64).value) : []
  })
}

function batches(
  count: number,
  perFrame: number,
  from = 0,
): { target: Target; value: CborValue; time: number }[][] {
  const out: { target: Target; value: CborValue; time: number }[][] = []
  for (let i = from; i < from + count; i += perFrame) {
    out.push(
      Array.from({ length: Math.min(perFrame, from + count - i) }, (_, k) => ({
        target: { mapping: 0, params: [] },
        value: new Float64(i + k + 0.5),
        time: T0 + (i + k) * 100,
      })),
    )
  }
  return out
}

test('line noise, dropped and inserted bytes both ways: resync and retransmit, every sample acknowledged once and stored once', async (t) => {
  const relay = await startRelay({ flip: 0.002, drop: 0.001, garbage: 0.001, seed: 7 })
  const bridge = await startBridge(env, relay)
  const settled: { m: SequencedMessage; nack?: number }[] = []
  const setpoints: (CborValue | undefined)[] = []
  const mcu = mcuOn(relay, {
    bootCounter: 1,
    identity: 'board-noise',
    onSettled: (m, nack) => settled.push({ m, ...(nack === undefined ? {} : { nack }) }),
    onServerData: (_target, value) => setpoints.push(value),
  })
  t.after(async () => {
    mcu.close()
    await bridge.stop()
    await relay.stop()
  })
  mcu.hello()
  await eventually('the session through the noise', () => mcu.established, Boolean, 60_000)
  for (const b of batches(400, 8)) mcu.send(b)
  await eventually(
    'every sample acknowledged',
    () => acknowledged(settled).length,
    (n) => n === 400,
    120_000,
  )
  // Server data crosses the same noise the other way, retried by the host until acknowledged.
  // (Each waits for the one before: a property is state, a device offline gets only its last value.)
  await eventually(
    'the device online',
    () => bridge.device(relay.hostPath)?.state,
    (s) => s === 'online',
    60_000,
  )
  for (const v of [18.5, 19.5, 20.5]) {
    assert.equal(
      (
        await env.api(
          'PUT',
          `devices/${mcu.deviceId!}/interfaces/org.astarte-ts.bridge.Setpoint/setpoint`,
          v,
        )
      ).status,
      200,
    )
    await eventually(
      `setpoint ${v} at the MCU`,
      () => setpoints,
      (got) => got.includes(v),
      60_000,
    )
  }
  assert.deepEqual(setpoints, [18.5, 19.5, 20.5], 'each setpoint once, in order')
  const values = acknowledged(settled)
  assert.deepEqual(
    [...values].sort((a, b) => a - b),
    Array.from({ length: 400 }, (_, i) => i + 0.5),
  )
  const stored = await eventually(
    'every sample in Astarte',
    () => env.samples(mcu.deviceId!, S, '/temperature'),
    (s) => s.length >= 400,
    60_000,
  )
  assert.equal(stored.length, 400, 'no sample stored twice')
  assert.deepEqual(
    stored.map((s) => [s.value, s.timestamp]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    Array.from({ length: 400 }, (_, i) => [i + 0.5, new Date(T0 + i * 100).toISOString()]),
  )
  const m = bridge.metrics()[relay.hostPath]!
  assert.ok(
    m.resyncs > 0 && mcu.tx.retransmissions > 0,
    `noise made no difference: ${JSON.stringify(m)}`,
  )
})

test('an MCU reset (new boot counter) gets the server-owned properties again; the same boot counter does not', async (t) => {
  const relay = await startRelay()
  const bridge = await startBridge(env, relay)
  const got: { boot: number; target: Target; value: CborValue | undefined }[] = []
  const peer = (boot: number) =>
    mcuOn(relay, {
      bootCounter: boot,
      identity: 'board-reset',
      onServerData: (target, value) => got.push({ boot, target, value }),
    })
  const first = peer(1)
  first.hello()
  await eventually('the first session', () => first.established, Boolean)
  const id = first.deviceId!
  const setpoint = { mapping: first.mapping(2, '/setpoint'), params: [] }
  t.after(async () => {
    await bridge.stop()
    await relay.stop()
  })
  // Set while the device is still syncing, the value may come twice: live, and with the sync.
  await eventually(
    'the device online',
    () => bridge.device(relay.hostPath)?.state,
    (s) => s === 'online',
    60_000,
  )
  assert.equal(
    (await env.api('PUT', `devices/${id}/interfaces/org.astarte-ts.bridge.Setpoint/setpoint`, 19.5))
      .status,
    200,
  )
  await eventually(
    'the setpoint at boot 1',
    () => got.length,
    (n) => n === 1,
  )
  first.close()

  const rebooted = peer(2)
  rebooted.hello()
  await eventually(
    'the setpoint resent after the reset',
    () => got.length,
    (n) => n === 2,
  )
  assert.deepEqual(got[1], { boot: 2, target: setpoint, value: 19.5 })
  rebooted.close()

  // Same boot counter (a link reset, not a reboot): no resync, so the next value is the next one.
  const again = peer(2)
  again.hello()
  await eventually('the third session', () => again.established, Boolean)
  assert.equal(
    (await env.api('PUT', `devices/${id}/interfaces/org.astarte-ts.bridge.Setpoint/setpoint`, 21))
      .status,
    200,
  )
  await eventually(
    'the new setpoint',
    () => got.length,
    (n) => n === 3,
  )
  assert.deepEqual(got[2], { boot: 2, target: setpoint, value: 21 })
  again.close()
})

test('bridge SIGKILLed mid-stream and restarted: the MCU resends what was not acknowledged, nothing is lost', async (t) => {
  // Paced like a real line, so the kill lands while most of the stream is still queued.
  const relay = await startRelay({ baud: 115200 })
  const storeDir = await mkdtemp(join(env.tmp, 'store-'))
  let bridge = await spawnBridge(env, relay, storeDir)
  const settled: { m: SequencedMessage; nack?: number }[] = []
  const mcu = mcuOn(relay, {
    bootCounter: 5,
    identity: 'board-kill',
    onSettled: (m, nack) => settled.push({ m, ...(nack === undefined ? {} : { nack }) }),
  })
  t.after(async () => {
    mcu.close()
    bridge.kill('SIGKILL')
    await relay.stop()
  })
  mcu.hello()
  await eventually('the session', () => mcu.established, Boolean, 60_000)
  for (const b of batches(800, 8)) mcu.send(b)
  await eventually(
    'some samples acknowledged',
    () => acknowledged(settled).length,
    (n) => n >= 40,
    60_000,
  )
  const exited = new Promise((r) => bridge.once('exit', r))
  bridge.kill('SIGKILL')
  await exited
  const ackedBeforeKill = acknowledged(settled).length
  assert.ok(ackedBeforeKill < 800, 'the kill came after everything was acknowledged')
  for (const b of batches(80, 8, 800)) mcu.send(b)
  bridge = await spawnBridge(env, relay, storeDir)
  await eventually(
    'every sample acknowledged after the restart',
    () => acknowledged(settled).length,
    (n) => n === 880,
    120_000,
  )
  const stored = await eventually(
    'every sample in Astarte',
    () => env.samples(mcu.deviceId!, S, '/temperature'),
    (s) => new Set(s.map((x) => x.value)).size === 880,
    60_000,
  )
  // At least once across a crash, within two windows: a frame the bridge stored but had not yet
  // acknowledged to the MCU comes again (4 frames of 8), and a publish Astarte took whose PUBACK
  // the killed bridge never recorded goes again from its store (the device's in-flight window,
  // maxInflight 100 by default: how many depends on where the kill lands).
  const windows = 4 * 8 + 100
  assert.ok(
    stored.length - 880 <= windows,
    `${stored.length - 880} duplicates, more than both windows`,
  )
  assert.deepEqual(
    [...new Set(stored.map((s) => s.value as number))].sort((a, b) => a - b),
    Array.from({ length: 880 }, (_, i) => i + 0.5),
  )
})
