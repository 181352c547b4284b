/**
 * @module hardware endpoints: the `[[hardware.sensors]]` and `[[hardware.gpio]]` entries as the
 * dataflow endpoints flows name by id. Nothing is opened here: buses, chips and lines open on a
 * flow's first use. Simulated entries run on a simulated I2C bus (a chip model per sensor, on
 * its own simulated time, so a reading takes no real time) and one simulated GPIO chip, both
 * handed back for the demo and tests to drive. A failing sensor is logged once per failure
 * streak (the first failure at `warn`, the rest at `debug`, the recovery at `info`).
 */
import type { Clock, Logger, Timers } from '@astarte-ts/sdk-core'
import type { GpioConfig, HardwareConfig, SensorConfig } from '../config/types.js'
import type { FlowEndpoint } from '../dataflow/source-sink.js'
import { gpioSink, gpioSource } from '../gpio/gpio-endpoints.js'
import { OnoffInput, OnoffOutput } from '../gpio/onoff-gpio.js'
import { SimulatedGpio } from '../gpio/simulated-gpio.js'
import { Bme280 } from '../sensors/bme280/bme280.js'
import { SimulatedBme280 } from '../sensors/bme280/simulated-bme280.js'
import type { I2cBus } from '../sensors/i2c/i2c-bus.js'
import { openLinuxI2cBus } from '../sensors/i2c/linux-i2c-bus.js'
import { SimulatedI2cBus } from '../sensors/i2c/simulated-i2c-bus.js'
import type { Sensor } from '../sensors/sensor.js'
import { sensorSource } from '../sensors/sensor-source.js'
import { SimulatedSht3x } from '../sensors/sht3x/simulated-sht3x.js'
import { Sht3x } from '../sensors/sht3x/sht3x.js'
import { realSleep, SimulatedTime, type Sleep } from '../sensors/simulated-time.js'
import { LazyI2cBus } from './lazy-i2c-bus.js'

/** Options of {@link hardwareEndpoints}. */
export interface HardwareEndpointsOptions {
  readonly clock: Clock
  readonly timers: Timers
  readonly logger: Logger
  /** Opens `/dev/i2c-<bus>`; `openLinuxI2cBus` unless a test hands in its own buses. */
  readonly openI2cBus?: (bus: number) => Promise<I2cBus>
  /** How real sensor drivers wait; the host's timers by default. */
  readonly sleep?: Sleep
}

/** The simulated hardware behind the simulated entries. */
export interface HardwareSimulation {
  /** The chip the `simulated-gpio` lines are on: drive inputs, read outputs. */
  readonly gpio: SimulatedGpio
  /** The chip model of each simulated sensor, by id: set its environment, inject faults. */
  readonly sensors: ReadonlyMap<string, SimulatedBme280 | SimulatedSht3x>
}

/** The endpoints by id, and the simulation behind the simulated ones. */
export interface HardwareEndpoints {
  readonly endpoints: ReadonlyMap<string, FlowEndpoint>
  readonly simulation: HardwareSimulation
}

/** One endpoint per configured sensor and GPIO line. */
export function hardwareEndpoints(
  hardware: HardwareConfig,
  options: HardwareEndpointsOptions,
): HardwareEndpoints {
  const endpoints = new Map<string, FlowEndpoint>()
  const gpio = new SimulatedGpio()
  const sensors = new Map<string, SimulatedBme280 | SimulatedSht3x>()
  for (const entry of hardware.sensors ?? []) {
    endpoints.set(entry.id, sensorEndpoint(entry, options, sensors))
  }
  for (const entry of hardware.gpio ?? []) {
    endpoints.set(entry.id, gpioEndpoint(entry, options, gpio))
  }
  return { endpoints, simulation: { gpio, sensors } }
}

function sensorEndpoint(
  entry: SensorConfig,
  options: HardwareEndpointsOptions,
  models: Map<string, SimulatedBme280 | SimulatedSht3x>,
): FlowEndpoint {
  let bus: I2cBus
  let sleep: Sleep
  if (entry.kind === 'simulated-bme280' || entry.kind === 'simulated-sht3x') {
    const time = new SimulatedTime()
    const simulated = new SimulatedI2cBus(`simulated:${entry.id}`)
    const model =
      entry.kind === 'simulated-bme280' ? new SimulatedBme280(time) : new SimulatedSht3x(time)
    simulated.attach(entry.address, model)
    models.set(entry.id, model)
    bus = simulated
    sleep = time.sleep
  } else {
    const number = entry.bus ?? 1
    const open = options.openI2cBus ?? openLinuxI2cBus
    bus = new LazyI2cBus(`/dev/i2c-${number}`, () => open(number))
    sleep = options.sleep ?? realSleep
  }
  const sensor: Sensor =
    entry.kind === 'bme280' || entry.kind === 'simulated-bme280'
      ? new Bme280(bus, {
          address: entry.address,
          sleep,
          ...(entry.oversampling === undefined
            ? {}
            : {
                oversampling: {
                  temperature: entry.oversampling,
                  pressure: entry.oversampling,
                  humidity: entry.oversampling,
                },
              }),
        })
      : new Sht3x(bus, {
          address: entry.address,
          sleep,
          ...(entry.repeatability === undefined ? {} : { repeatability: entry.repeatability }),
        })
  const { logger } = options
  const where = { sensor: entry.id, device: sensor.description }
  let streak = 0
  return sensorSource(sensor, {
    name: entry.id,
    periodMs: entry.periodMs,
    clock: options.clock,
    timers: options.timers,
    tags: entry.tags,
    onError(error) {
      streak += 1
      logger.log(streak === 1 ? 'warn' : 'debug', "couldn't read a sensor", {
        ...where,
        ...describeError(error),
      })
    },
    onRecovery(failures) {
      streak = 0
      logger.log('info', 'sensor reads again', { ...where, failures })
    },
    release: () => bus.close(),
  })
}

function gpioEndpoint(
  entry: GpioConfig,
  options: HardwareEndpointsOptions,
  chip: SimulatedGpio,
): FlowEndpoint {
  const simulated = entry.kind === 'simulated-gpio'
  const common = {
    name: entry.id,
    clock: options.clock,
    tags: entry.tags,
    onError: (error: unknown) =>
      options.logger.log('warn', "couldn't watch a GPIO line", {
        gpio: entry.id,
        line: entry.line,
        ...describeError(error),
      }),
  }
  if (entry.direction === 'in') {
    const input = {
      edge: entry.edge,
      activeLow: entry.activeLow,
      debounceMs: entry.debounceMs,
    }
    return gpioSource(
      simulated ? chip.input(entry.line, input) : new OnoffInput(entry.line, input),
      common,
    )
  }
  const output = { activeLow: entry.activeLow }
  return gpioSink(
    simulated ? chip.output(entry.line, output) : new OnoffOutput(entry.line, output),
    common,
  )
}

function describeError(error: unknown): { error: string; code?: string } {
  const code = (error as { code?: unknown }).code
  return {
    error: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  }
}
