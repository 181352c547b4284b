/**
 * Flows from the configuration on the `[hardware]` endpoints (simulated BME280 on its simulated
 * I2C bus, simulated GPIO output), against the sandbox: the sensor's compensated readings through
 * calibrate and split to Readings, read back through AppEngine; Setpoints set through AppEngine
 * back through threshold's hysteresis to the GPIO output, its read-back level as OutputState.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { parseToml, validateConfig, type AgentConfig } from '../../src/config/index.js'
import { dataflowFeature } from '../../src/dataflow/index.js'
import { hardwareEndpoints } from '../../src/hardware/index.js'
import { eventually, quiet, startEnv, type Env } from '../helpers/feature-sandbox.js'
import { EX, installExamples, realTime, runFeature } from './helpers.js'

let env: Env
before(async () => {
  env = await startEnv()
  await installExamples(env)
})
after(async () => {
  await env.stop()
})

function config(text: string): AgentConfig {
  const parsed = parseToml(`store_directory = "/s"
[astarte_device_sdk]
realm = "r"
pairing_url = "https://x/pairing"
${text}`)
  assert.ok(parsed.ok)
  const result = validateConfig(parsed.doc)
  if (!result.ok) assert.fail(JSON.stringify(result.problems))
  return result.config
}

const start = async (c: AgentConfig) => {
  const hardware = hardwareEndpoints(c.hardware, {
    clock: realTime,
    timers: realTime,
    logger: quiet,
  })
  const feature = dataflowFeature({ entries: c.flows, endpoints: hardware.endpoints })
  const run = await runFeature(env, feature)
  return { feature, run, simulation: hardware.simulation }
}

test('a simulated BME280 through calibrate and split to Readings', async () => {
  const { feature, run, simulation } = await start(
    config(`
[[hardware.sensors]]
id = "lab"
kind = "simulated-bme280"
period_ms = 50
tags = { room = "lab" }
[[flows]]
name = "lab-air"
flow = "Push(lab) ~> [calibrate(field=temperature, offset=-1), split(fields='temperature humidity')] ~> ${EX}Readings/%{room}/%{field}"
`),
  )
  try {
    const chip = simulation.sensors.get('lab')
    assert.ok(chip !== undefined)
    chip.environment = { temperature: 25, pressure: 100_000, humidity: 50 }
    const stored = async (quantity: string) =>
      (
        (await env.read(run.deviceId, `${EX}Readings`, `/lab/${quantity}`)) as Array<{
          value: number
        }>
      ).map((s) => s.value)
    const latest = async (quantity: string) => (await stored(quantity)).at(-1)
    // the chip's integer compensation is exact to its resolution, not to the decimal
    const t = await eventually(
      '24 °C',
      () => latest('temperature'),
      (v) => v !== undefined && Math.abs(v - 24) < 0.02,
    )
    const h = await eventually(
      '50 %RH',
      () => latest('humidity'),
      (v) => v !== undefined && Math.abs(v - 50) < 0.1,
    )
    assert.ok(t !== undefined && h !== undefined)
    // every value the server stored left the flow as accepted; the count itself depends on how
    // many 50 ms periods passed, and the PUBACK may reach the device after the server has the value
    const storedCount = (await stored('temperature')).length + (await stored('humidity')).length
    await eventually(
      `at least ${storedCount} accepted`,
      () => feature.metrics()[0]?.accepted ?? 0,
      (accepted) => accepted >= storedCount,
    )
    assert.equal(feature.metrics()[0]?.processorErrors, 0)
  } finally {
    await run.stop()
  }
})

test('Setpoints through threshold with hysteresis to a simulated GPIO output, its level reported back', async () => {
  const { feature, run, simulation } = await start(
    config(`
[[hardware.gpio]]
id = "relay"
kind = "simulated-gpio"
line = 22
direction = "out"
tags = { output = "relay" }
[[flows]]
name = "relay"
flow = "Demand(relay) <~> threshold(level=50, hysteresis=10) <~> ${EX}OutputState/%{output}/on & ${EX}Setpoint/%{output}/level"
read_interval_ms = 50
`),
  )
  try {
    const set = (level: number) =>
      env.api('PUT', `devices/${run.deviceId}/interfaces/${EX}Setpoint/relay/level`, level)
    const reported = () => env.read(run.deviceId, `${EX}OutputState`, '/relay/on')
    await eventually('reported off at first', reported, (v) => v === false)
    const levels = [
      [70, true],
      [45, true], // within the hysteresis: stays on
      [30, false],
    ] as const
    for (const [i, [level, on]] of levels.entries()) {
      assert.equal((await set(level)).status, 200)
      await eventually(
        `${level} applied`,
        () => feature.metrics()[0]?.reverse.applied,
        (n) => n === i + 1,
      )
      assert.equal(simulation.gpio.level(22), on, `line after ${level}`)
      await eventually(`reported ${on} after ${level}`, reported, (v) => v === on)
    }
  } finally {
    await run.stop()
  }
})
