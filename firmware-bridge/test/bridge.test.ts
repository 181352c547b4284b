import { strict as assert } from 'node:assert'
import { after, before, test } from 'node:test'
import { type CborValue, Float64, NackReason, type Target } from '../src/index.js'
import { type Env, eventually, mcuOn, startBridge, startEnv, startRelay } from './helpers/env.js'

let env: Env
before(async () => {
  env = await startEnv()
})
after(async () => {
  await env.stop()
})

const S = 'org.astarte-ts.bridge.Sensor'

test('over a real pty: samples reach Astarte with their types and timestamps, properties are set, server data reaches the MCU', async (t) => {
  const relay = await startRelay()
  const bridge = await startBridge(env, relay)
  const server: { target: Target; value: CborValue | undefined }[] = []
  const settled: number[] = []
  const mcu = mcuOn(relay, {
    bootCounter: 1,
    identity: 'board-types',
    onServerData: (target, value) => server.push({ target, value }),
    onSettled: (_m, nack) => settled.push(nack ?? 0),
  })
  t.after(async () => {
    mcu.close()
    await bridge.stop()
    await relay.stop()
  })
  mcu.hello()
  await eventually('the session', () => mcu.established, Boolean)
  const deviceId = mcu.deviceId!
  const t0 = Date.UTC(2026, 11, 7, 1, 0, 0)
  const temperature = { mapping: mcu.mapping(0, '/temperature'), params: [] }
  mcu.send(
    [0, 1, 2].map((i) => ({
      target: temperature,
      value: new Float64(20.25 + i / 3),
      time: t0 + i * 100,
    })),
  )
  mcu.send([
    {
      target: { mapping: mcu.mapping(0, '/uptime'), params: [] },
      value: 2n ** 40n,
      time: t0 + 5000,
    },
  ])
  mcu.queue({
    type: 'set',
    target: { mapping: mcu.mapping(1, '/firmware'), params: [] },
    value: 'sensor 1.0.0',
  })
  mcu.send([
    {
      target: { mapping: mcu.mapping(3, '/%{room}'), params: ['lab'] },
      value: new Map<number, CborValue>([
        [0, new Float64(22.5)],
        [1, 41.25],
      ]),
      time: t0 + 6000,
    },
  ])
  await eventually(
    'every frame acknowledged',
    () => settled.length,
    (n) => n === 4,
  )
  assert.deepEqual(settled, [0, 0, 0, 0])

  const temps = await eventually(
    'the temperatures',
    () => env.samples(deviceId, S, '/temperature'),
    (s) => s.length === 3,
  )
  assert.deepEqual(
    temps.map((s) => [s.value, s.timestamp]),
    [0, 1, 2].map((i) => [20.25 + i / 3, new Date(t0 + i * 100).toISOString()]),
  )
  const uptime = await eventually(
    'the uptime',
    () => env.samples(deviceId, S, '/uptime'),
    (s) => s.length === 1,
  )
  assert.equal(String(uptime[0]!.value), String(2n ** 40n))
  assert.equal(uptime[0]!.timestamp, new Date(t0 + 5000).toISOString())
  const status = await eventually(
    'the property',
    () => env.api('GET', `devices/${deviceId}/interfaces/org.astarte-ts.bridge.Status`),
    (r) => r.status === 200,
  )
  assert.deepEqual(status.data, { firmware: 'sensor 1.0.0' })
  const air = await eventually(
    'the object',
    () => env.samples(deviceId, 'org.astarte-ts.bridge.Air', '/lab'),
    (s) => s.length === 1,
  )
  assert.deepEqual(air[0], {
    timestamp: new Date(t0 + 6000).toISOString(),
    temperature: 22.5,
    humidity: 41.25,
  })

  const put = await env.api(
    'PUT',
    `devices/${deviceId}/interfaces/org.astarte-ts.bridge.Setpoint/setpoint`,
    19.5,
  )
  assert.ok(put.status < 300, JSON.stringify(put))
  await eventually(
    'the setpoint at the MCU',
    () => server.length,
    (n) => n === 1,
  )
  assert.deepEqual(server[0], {
    target: { mapping: mcu.mapping(2, '/setpoint'), params: [] },
    value: 19.5,
  })
  const m = bridge.metrics()[relay.hostPath]!
  assert.ok(m.framesIn >= 5 && m.samplesStored === 6, JSON.stringify(m))
})

test('values that do not fit their mapping are refused with a reason, nothing of the frame is stored', async (t) => {
  const relay = await startRelay()
  const bridge = await startBridge(env, relay)
  const nacks: number[] = []
  const mcu = mcuOn(relay, {
    bootCounter: 1,
    identity: 'board-refusals',
    onSettled: (_m, nack) => nacks.push(nack ?? 0),
  })
  t.after(async () => {
    mcu.close()
    await bridge.stop()
    await relay.stop()
  })
  mcu.hello()
  await eventually('the session', () => mcu.established, Boolean)
  const temperature = { mapping: 0, params: [] }
  mcu.send([
    { target: temperature, value: new Float64(1.5), time: 1_800_000_000_000 },
    { target: temperature, value: 'hot', time: 1_800_000_000_100 },
  ])
  mcu.send([{ target: { mapping: 99, params: [] }, value: 1, time: 1_800_000_000_000 }])
  mcu.queue({
    type: 'set',
    target: { mapping: mcu.mapping(2, '/setpoint'), params: [] },
    value: new Float64(3.5),
  })
  mcu.queue({
    type: 'set',
    target: { mapping: mcu.mapping(1, '/firmware'), params: [] },
    value: 'ok',
  })
  await eventually(
    'every frame answered',
    () => nacks.length,
    (n) => n === 4,
  )
  assert.deepEqual(nacks, [
    NackReason.typeMismatch,
    NackReason.unknownMapping,
    NackReason.ownership,
    0,
  ])
  assert.deepEqual(await env.samples(mcu.deviceId!, S, '/temperature'), [])
  assert.equal(bridge.metrics()[relay.hostPath]!.nacksSent, 3)
})

test('an MCU declaring an interface the bridge lacks gets a NACK naming it', async (t) => {
  const relay = await startRelay()
  const bridge = await startBridge(env, relay)
  let refused: { reason: number; detail: string | undefined } | undefined
  const mcu = mcuOn(relay, {
    bootCounter: 1,
    identity: 'board-unknown',
    interfaces: ['org.astarte-ts.bridge.Sensor:1:0', 'org.example.Missing:1:0'],
    onRefused: (reason, detail) => (refused = { reason, detail }),
  })
  t.after(async () => {
    mcu.close()
    await bridge.stop()
    await relay.stop()
  })
  mcu.hello()
  await eventually(
    'the refusal',
    () => refused,
    (r) => r !== undefined,
  )
  assert.deepEqual(refused, {
    reason: NackReason.unknownInterface,
    detail: 'unknown interface org.example.Missing:1:0',
  })
  assert.equal(mcu.established, false)
})

test("a table larger than the MCU's frames comes in several HELLO_ACK parts", async (t) => {
  const relay = await startRelay()
  const bridge = await startBridge(env, relay)
  const mcu = mcuOn(relay, { bootCounter: 1, identity: 'board-small-frames', maxFrame: 64 })
  t.after(async () => {
    mcu.close()
    await bridge.stop()
    await relay.stop()
  })
  mcu.hello()
  await eventually('the session', () => mcu.established, Boolean)
  assert.deepEqual(
    mcu.entries.map((e) => e.endpoint),
    ['/temperature', '/uptime', '/firmware', '/periodMs', '/setpoint', '/%{room}'],
  )
  assert.ok(bridge.metrics()[relay.hostPath]!.framesOut >= 3, 'the table came in one frame')
})
