/** The configured sensors and GPIO lines as flow endpoints: simulated ones driven, real ones absent. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '@astarte-ts/runtime-testing'
import { SdkError } from '@astarte-ts/sdk-core'
import type { HardwareConfig } from '../../src/config/index.js'
import { hardwareEndpoints } from '../../src/hardware/index.js'
import {
  SimulatedBme280,
  SimulatedI2cBus,
  SimulatedSht3x,
  SimulatedTime,
} from '../../src/sensors/index.js'
import { manualTimers, recordingLogger } from '../server-data-env.js'

const hardware: HardwareConfig = {
  leds: [],
  sensors: [
    { id: 'sim', kind: 'simulated-bme280', address: 0x76, periodMs: 1000, tags: { room: 'lab' } },
    { id: 'cellar', kind: 'sht3x', bus: 3, address: 0x45, periodMs: 1000, tags: {} },
    {
      id: 'attic',
      kind: 'bme280',
      bus: 7,
      address: 0x77,
      periodMs: 1000,
      tags: {},
      oversampling: 2,
    },
  ],
  gpio: [
    {
      id: 'button',
      kind: 'simulated-gpio',
      line: 5,
      direction: 'in',
      edge: 'rising',
      debounceMs: 0,
      activeLow: true,
      tags: {},
    },
    {
      id: 'heater',
      kind: 'simulated-gpio',
      line: 6,
      direction: 'out',
      edge: 'both',
      debounceMs: 0,
      activeLow: false,
      tags: {},
    },
  ],
}

describe('hardwareEndpoints', () => {
  it('makes one endpoint per entry; simulated ones are driven through the simulation', async () => {
    const clock = new ManualClock(0)
    const { logger, entries } = recordingLogger()
    const opened: number[] = []
    const time = new SimulatedTime()
    const { endpoints, simulation } = hardwareEndpoints(hardware, {
      clock,
      timers: manualTimers(clock),
      logger,
      sleep: time.sleep,
      openI2cBus: async (bus) => {
        opened.push(bus)
        if (bus === 7) {
          const simulated = new SimulatedI2cBus('/dev/i2c-7')
          simulated.attach(0x77, new SimulatedBme280(time))
          return simulated
        }
        throw new SdkError('local.io_failed', "couldn't open I2C bus /dev/i2c-3: ENOENT")
      },
    })
    assert.deepEqual([...endpoints.keys()], ['sim', 'cellar', 'attic', 'button', 'heater'])
    assert.deepEqual(opened, [], 'nothing opened before a flow uses it')

    const sim = simulation.sensors.get('sim') as SimulatedBme280
    sim.environment = { temperature: -10, pressure: 95_000, humidity: 80 }
    const [reading] = await endpoints.get('sim')!.read!.read(1)
    assert.deepEqual(reading!.tags, { room: 'lab' })
    assert.ok(Math.abs((reading!.value as { temperature: number }).temperature + 10) <= 0.02)

    await assert.rejects(endpoints.get('cellar')!.read!.read(1), { code: 'local.io_failed' })
    assert.equal((await endpoints.get('attic')!.read!.read(1)).length, 1)
    assert.deepEqual(opened, [3, 7])

    const presses: unknown[] = []
    await endpoints.get('button')!.push!.start((m) => presses.push(m.value))
    simulation.gpio.drive(5, true)
    simulation.gpio.drive(5, false)
    assert.deepEqual(presses, [true])

    await endpoints.get('heater')!.actuator!.apply({ value: true, timestamp: 0 })
    assert.equal(simulation.gpio.level(6), true)

    for (const endpoint of endpoints.values()) await endpoint.close?.()
    assert.equal(simulation.gpio.claimed(5), false)
    assert.equal(entries.length, 0, 'read failures reject to the flow, which counts them')
  })

  it('logs a failing push sensor once per failure streak, and its recovery', async () => {
    const clock = new ManualClock(0)
    const { logger, entries } = recordingLogger()
    const { endpoints, simulation } = hardwareEndpoints(
      {
        leds: [],
        sensors: [{ id: 'sim', kind: 'simulated-sht3x', address: 0x44, periodMs: 500, tags: {} }],
      },
      { clock, timers: manualTimers(clock), logger },
    )
    const chip = simulation.sensors.get('sim') as SimulatedSht3x
    chip.corruptCrc = 'humidity'
    const got: unknown[] = []
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
    await endpoints.get('sim')!.push!.start((m) => got.push(m))
    for (let i = 0; i < 3; i += 1) {
      await settle()
      clock.advance(500)
    }
    chip.corruptCrc = undefined
    await settle()
    await endpoints.get('sim')!.push!.stop()
    assert.equal(got.length, 1)
    assert.deepEqual(
      entries.map((e) => [e.level, e.message, e.ctx['code'] ?? e.ctx['failures']]),
      [
        ['warn', "couldn't read a sensor", 'remote.sensor_crc'],
        ['debug', "couldn't read a sensor", 'remote.sensor_crc'],
        ['debug', "couldn't read a sensor", 'remote.sensor_crc'],
        ['info', 'sensor reads again', 3],
      ],
    )
    assert.equal(entries[0]!.ctx['device'], 'sht3x@simulated:sim:0x44')
  })
})
