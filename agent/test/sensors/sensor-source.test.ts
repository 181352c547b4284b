/** Sensor sources on the simulated bus: push sampling on a manual clock, reads on demand, faults. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '@astarte-ts/runtime-testing'
import type { FlowMessage } from '../../src/dataflow/source-sink.js'
import {
  Bme280,
  SimulatedBme280,
  SimulatedI2cBus,
  SimulatedSht3x,
  SimulatedTime,
  Sht3x,
  sensorSource,
  type SensorSourceOptions,
} from '../../src/sensors/index.js'
import { manualTimers } from '../server-data-env.js'

/** Lets the promise chains of simulated transfers run (no I/O is involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function bmeRig(options: Partial<SensorSourceOptions> = {}) {
  const clock = new ManualClock(1_000_000)
  const time = new SimulatedTime()
  const bus = new SimulatedI2cBus()
  const chip = new SimulatedBme280(time, {
    environment: { temperature: 20, pressure: 100_000, humidity: 40 },
  })
  bus.attach(0x76, chip)
  const errors: unknown[] = []
  const source = sensorSource(new Bme280(bus, { sleep: time.sleep }), {
    name: 'kitchen',
    periodMs: 1000,
    clock,
    timers: manualTimers(clock),
    tags: { room: 'kitchen' },
    onError: (e) => errors.push(e),
    ...options,
  })
  return { clock, bus, chip, source, errors }
}

describe('sensorSource', () => {
  it('pushes a sample at start and every period, stamped with the clock, tagged', async () => {
    const { clock, source } = bmeRig()
    const got: FlowMessage[] = []
    await source.push!.start((m) => got.push(m))
    await settle()
    for (let i = 0; i < 3; i += 1) {
      clock.advance(1000)
      await settle()
    }
    await source.push!.stop()
    assert.deepEqual(
      got.map((m) => m.timestamp),
      [1_000_000, 1_001_000, 1_002_000, 1_003_000],
    )
    const first = got[0]!
    assert.deepEqual(first.tags, { room: 'kitchen' })
    const value = first.value as { temperature: number; pressure: number; humidity: number }
    assert.deepEqual(Object.keys(value), ['temperature', 'pressure', 'humidity'])
    assert.ok(Math.abs(value.temperature - 20) <= 0.02)
    assert.ok(Math.abs(value.pressure - 100_000) <= 3)
    assert.ok(Math.abs(value.humidity - 40) <= 0.05)
    clock.advance(5000)
    await settle()
    assert.equal(got.length, 4, 'nothing after stop')
    assert.deepEqual(clock.pending(), [])
    assert.deepEqual(source.stats, { samples: 4, failures: 0, skipped: 0 })
  })

  it('reports failed samples and goes on; the chip is opened again once it answers', async () => {
    const { clock, bus, chip, source, errors } = bmeRig()
    const got: FlowMessage[] = []
    const failed: unknown[] = []
    bus.detach(0x76)
    await source.push!.start(
      (m) => got.push(m),
      (e) => failed.push(e),
    )
    await settle()
    clock.advance(1000)
    await settle()
    assert.equal(got.length, 0)
    assert.deepEqual(
      errors.map((e) => (e as { code: string }).code),
      ['remote.i2c_failed', 'remote.i2c_failed'],
    )
    assert.deepEqual(failed, errors, 'the flow is told of each failure too')
    bus.attach(0x76, chip)
    clock.advance(1000)
    await settle()
    assert.equal(got.length, 1)
    assert.equal(chip.resets, 1, 'opened (reset) when it first answered')
    await source.close!()
    assert.deepEqual(source.stats, { samples: 1, failures: 2, skipped: 0 })
  })

  it('skips the samples that fall due while one is still running, never overlaps', async () => {
    const clock = new ManualClock(0)
    const started: number[] = []
    let finish: (() => void) | undefined
    const slow = {
      description: 'slow',
      quantities: ['temperature'] as const,
      open: () => Promise.resolve(),
      read: () =>
        new Promise<{ temperature: number }>((resolve) => {
          started.push(clock.now())
          finish = () => resolve({ temperature: 1 })
        }),
      close: () => Promise.resolve(),
    }
    const source = sensorSource(slow, { periodMs: 100, clock, timers: manualTimers(clock) })
    const got: FlowMessage[] = []
    await source.push!.start((m) => got.push(m))
    clock.advance(350)
    finish!()
    await settle()
    clock.advance(50)
    await settle()
    assert.deepEqual(started, [0, 400])
    assert.equal(source.stats.skipped, 3)
    finish!()
    await settle()
    await source.push!.stop()
    assert.equal(got.length, 2)
  })

  it('reads n samples on demand; a failure with none taken rejects, typed', async () => {
    const clock = new ManualClock(5)
    const time = new SimulatedTime()
    const bus = new SimulatedI2cBus()
    const chip = new SimulatedSht3x(time, { temperature: 30, humidity: 55 })
    bus.attach(0x44, chip)
    const source = sensorSource(new Sht3x(bus, { sleep: time.sleep }), {
      periodMs: 1000,
      clock,
      timers: manualTimers(clock),
    })
    assert.equal(source.name, 'sht3x@simulated:0x44')
    const three = await source.read!.read(3)
    assert.equal(three.length, 3)
    assert.equal(three[0]!.tags, undefined)
    assert.deepEqual(Object.keys(three[0]!.value as object), ['temperature', 'humidity'])
    chip.corruptCrc = 'temperature'
    await assert.rejects(source.read!.read(2), { code: 'remote.sensor_crc' })
    chip.corruptCrc = undefined
    assert.equal((await source.read!.read(1)).length, 1)
  })
})
