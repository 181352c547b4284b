/**
 * @module dataflow demo: the third part of `npm run demo`. An agent configured with a simulated
 * BME280 and a simulated GPIO output runs two `[[flows]]`: the sensor through calibrate and
 * average to the Environment interface, read back through AppEngine; and a two-way flow where a
 * Setpoint set through AppEngine travels back through `threshold` to the GPIO output, whose
 * level the flow reports as OutputState. Nothing is left running.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  Agent,
  agentFeatures,
  hardwareEndpoints,
  journalLogger,
  shippedExamplesDirectory,
  type DataflowFeature,
  type HardwareSimulation,
} from '@astarte-ts/agent'
import { nodeTimers } from '@astarte-ts/runtime-node'
import type { Sandbox } from '@astarte-ts/sandbox'
import { demoDeviceConfig, openDemoDevice } from './demo-config.js'
import { realmApi } from './realm-api.js'
import { removeScratch, scratchDir } from './scratch.js'

const EX = 'org.astarte-ts.examples'
const HEATER_LINE = 17

type Say = (line: string) => void
type Step = <T>(title: string, fn: () => Promise<T>) => Promise<T>

async function until<T>(what: string, ms: number, poll: () => Promise<T>, ok: (v: T) => boolean) {
  const end = Date.now() + ms
  for (;;) {
    const value = await poll().catch(() => undefined)
    if (value !== undefined && ok(value)) return value
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Runs the dataflow part of the demo on a started sandbox. */
export async function dataflowDemo(sandbox: Sandbox, say: Say, step: Step): Promise<void> {
  const api = realmApi(sandbox)
  const store = await scratchDir('astarte-dataflow-demo-')
  say('')
  say('astarte-agent dataflows: sensors to Astarte, server data back to actuators')
  try {
    await step('install the example interfaces the flows use', async () => {
      for (const name of ['Environment', 'Setpoint', 'OutputState']) {
        const file = join(shippedExamplesDirectory(), `${EX}.${name}.json`)
        // the first part of the demo may have installed some already
        await api.installInterface(JSON.parse(await readFile(file, 'utf8'))).catch((e: Error) => {
          if (!e.message.includes(' 409')) throw e
        })
      }
    })
    const toml = `
store_directory = "${store}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "ZGF0YWZsb3ctZGVtby0xAA"
pairing_url = "${sandbox.pairingUrl}"
pairing_token = "${sandbox.jwt}"
[[telemetry_config]]
interface_name = "io.edgehog.devicemanager.SystemStatus"
enabled = false
[[hardware.sensors]]
id = "kitchen"
kind = "simulated-bme280"
period_ms = 100
tags = { room = "kitchen" }
[[hardware.gpio]]
id = "heater"
kind = "simulated-gpio"
line = ${HEATER_LINE}
direction = "out"
tags = { output = "heater" }

[[flows]]
name = "kitchen-air"
flow = "Push(kitchen) ~> [pick(fields='temperature humidity'), calibrate(field=temperature, offset=-0.5), average(window=5)] ~> ${EX}.Environment/%{room}"

[[flows]]
name = "heater"
flow = "Demand(heater) <~> threshold(level=50) <~> ${EX}.OutputState/%{output}/on & ${EX}.Setpoint/%{output}/level"
read_interval_ms = 200
`
    const { config, sdk } = demoDeviceConfig(toml)
    for (const f of config.flows) say(`    ${f.name}: ${f.flow}`)
    let simulation: HardwareSimulation | undefined
    const features = agentFeatures(config, {
      flowEndpoints: (context) => {
        const hardware = hardwareEndpoints(config.hardware, context)
        simulation = hardware.simulation
        return hardware.endpoints
      },
    })
    const dataflow = features.find((f) => f.name === 'dataflow') as DataflowFeature
    const declared = await Agent.interfacesOf(features)
    const device = await openDemoDevice(sdk, declared.interfaces, store, sandbox.caPem)
    const agent = new Agent({
      device,
      features: declared,
      clock: { now: () => Date.now() },
      timers: nodeTimers,
      logger: journalLogger({ level: 'warn' }),
      stateDir: store,
    })
    const deviceApi = (path: string) => api.get(`devices/${device.deviceId}/interfaces/${path}`)
    try {
      await step('start the agent with its flows', () => agent.start())
      await step(
        'kitchen-air: simulated BME280 → pick → calibrate (−0.5 °C) → average of 5 → Environment',
        async () => {
          const samples = (await until(
            'ten Environment samples',
            15_000,
            () => deviceApi(`${EX}.Environment/kitchen`) as Promise<unknown[]>,
            (s) => s.length >= 10,
          )) as Array<{ temperature: number; humidity: number }>
          const last = samples.at(-1)
          say(`    ${samples.length} samples through AppEngine, last ${JSON.stringify(last)}`)
          say('    (the simulated room is at 21 °C and 45 %RH: the calibration shows as 20.5 °C)')
        },
      )
      await step('heater: AppEngine sets Setpoint /heater/level = 70', async () => {
        await api.put(`devices/${device.deviceId}/interfaces/${EX}.Setpoint/heater/level`, 70)
        await until(
          'the heater output high',
          10_000,
          async () => simulation?.gpio.level(HEATER_LINE),
          (on) => on === true,
        )
        say(`    threshold(level=50) backwards: 70 → on; simulated GPIO ${HEATER_LINE} is high`)
        const state = await until(
          'OutputState /heater/on = true',
          10_000,
          () => deviceApi(`${EX}.OutputState/heater/on`),
          (v) => v === true,
        )
        say(`    OutputState /heater/on read back through AppEngine: ${String(state)}`)
      })
      await step('heater: AppEngine sets Setpoint /heater/level = 20', async () => {
        await api.put(`devices/${device.deviceId}/interfaces/${EX}.Setpoint/heater/level`, 20)
        await until(
          'OutputState /heater/on = false',
          10_000,
          () => deviceApi(`${EX}.OutputState/heater/on`),
          (v) => v === false,
        )
        say(
          `    GPIO ${HEATER_LINE} is ${simulation?.gpio.level(HEATER_LINE) === true ? 'high' : 'low'}; OutputState /heater/on: false`,
        )
      })
    } finally {
      await step('stop the agent: flows drain into the SDK, device closes', () => agent.stop())
      for (const m of dataflow.metrics()) {
        const dropped = Object.values(m.dropped).reduce((a, b) => a + b, 0)
        say(
          `    ${m.name}: ${m.received} in, ${m.accepted} accepted, ${m.filtered} filtered, ${dropped} dropped`,
        )
      }
    }
  } finally {
    await removeScratch(store)
  }
}
