/**
 * @module bench fleet rows: resident memory per connected virtual device of the fleet simulator
 * (`astarte-fleet`, its own process) against Mosquitto with mutual TLS.
 */
import { join } from 'node:path'
import type { BenchContext, Measurement, RowSpec } from '../context.js'
import {
  cliRunner,
  runFleetProcess,
  startFleetEnv,
  type FleetEnv,
  type Runner,
} from '../fleet/fleet-env.js'

export function fleetEnv(ctx: BenchContext): Promise<FleetEnv> {
  return ctx.shared('fleet-env', async () => {
    const env = await startFleetEnv(join(ctx.tmpDir, 'fleet'))
    ctx.defer(() => env.stop())
    return env
  })
}

export function builtCli(ctx: BenchContext): Promise<Runner> {
  return ctx.shared('cli-runner', () => Promise.resolve(cliRunner((m) => ctx.log(m))))
}

// The fleet goal: 10 000 devices in ≤ 1 GiB of simulator RSS.
const BYTES_PER_DEVICE_GOAL = Math.floor(2 ** 30 / 10_000)

async function measureRss(ctx: BenchContext): Promise<Measurement> {
  const [env, runner] = await Promise.all([fleetEnv(ctx), builtCli(ctx)])
  const devices = ctx.count(1000, 50, 5)
  const duration = ctx.quick ? '2' : '10'
  const extra = ['--devices', String(devices), '--duration', duration, '--prefix', 'bench-rss']
  const cache = join(ctx.tmpDir, 'fleet-cache')
  const result = await runFleetProcess(env, runner, cache, extra, () => undefined)
  const summary = result.summary as {
    rssBytes?: { perConnectedDevice?: number }
    acknowledgedRatio?: number
  }
  const perDevice = summary.rssBytes?.perConnectedDevice
  if (result.exitCode !== 0 || perDevice === undefined) {
    throw new Error(`couldn't run the fleet (exit ${result.exitCode}): ${result.stderrTail}`)
  }
  // With a handful of devices (tiny --scale) the process's own RSS noise can exceed what they add.
  if (perDevice <= 0) {
    throw new Error(
      `RSS did not grow with ${devices} connected devices (${perDevice} B each): too few to measure; use a larger --scale`,
    )
  }
  return {
    measured: perDevice,
    details: { devices, runner: runner.kind, summary: result.summary },
  }
}

export const fleetRows: readonly RowSpec[] = [
  {
    id: 'fleet.rss-per-device',
    title: 'Fleet simulator: RSS per connected device',
    unit: 'B',
    goal: { op: '<=', value: BYTES_PER_DEVICE_GOAL, on: 'measured' },
    measure: measureRss,
  },
]
