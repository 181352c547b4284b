/**
 * @module bme280: Bosch BME280 driver (datasheet BST-BME280-DS002) over the `I2cBus` port, in
 * forced mode — one measurement per `read`, the chip asleep in between (§3.5.1, the mode the
 * datasheet recommends for weather monitoring). `open` checks the chip id, soft-resets, waits for
 * the NVM copy, reads the calibration and writes the filter; `read` writes ctrl_hum then
 * ctrl_meas (ctrl_hum takes effect only then, §5.4.3), waits the maximum measurement time of
 * §9.1, polls `measuring`, burst-reads 0xF7..0xFE (one burst so the data of one measurement
 * is shadowed together, §4) and compensates with the integer formulas.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import { checkI2cAddress, hexAddress, type I2cBus } from '../i2c/i2c-bus.js'
import { busyError, notOpenError, wrongChipError } from '../sensor-errors.js'
import type { Quantity, Sensor, SensorReading } from '../sensor.js'
import { Serial } from '../serial.js'
import { realSleep, type Sleep } from '../simulated-time.js'
import { decodeBme280Calibration, type Bme280Calibration } from './calibration.js'
import { compensateHumidity, compensatePressure, compensateTemperature } from './compensate.js'
import {
  CALIB_H_LENGTH,
  CALIB_TP_LENGTH,
  CHIP_ID,
  DATA_LENGTH,
  FILTER_CODE,
  MODE_FORCED,
  OSRS_CODE,
  REG_CALIB_H,
  REG_CALIB_TP,
  REG_CONFIG,
  REG_CTRL_HUM,
  REG_CTRL_MEAS,
  REG_DATA,
  REG_ID,
  REG_RESET,
  REG_STATUS,
  RESET_WORD,
  STATUS_IM_UPDATE,
  STATUS_MEASURING,
  maxMeasurementMs,
  type Bme280Oversampling,
  type FilterCoefficient,
} from './registers.js'

/** Options of {@link Bme280}. */
export interface Bme280Options {
  /** 0x76 (SDO to GND, the default) or 0x77 (SDO to VDDIO). */
  readonly address?: number
  /**
   * Oversampling of each measurement; default ×1 each (§3.5.1). Pressure or humidity 0 skips it;
   * temperature can't be skipped (the others' compensation needs its t_fine).
   */
  readonly oversampling?: Partial<Bme280Oversampling>
  /** IIR filter coefficient; default off. */
  readonly filter?: FilterCoefficient
  /** How the driver waits; the host's timers unless a test runs simulated time. */
  readonly sleep?: Sleep
}

/** The chip's startup time after a reset or power-on (§1, Table 1: t_startup 2 ms). */
const STARTUP_MS = 2
/** How many extra polls of `status`, 1 ms apart, before the chip is taken as stuck. */
const EXTRA_POLLS = 20

/** A BME280 on `bus`. */
export class Bme280 implements Sensor {
  readonly description: string
  readonly quantities: readonly Quantity[]
  readonly #bus: I2cBus
  readonly #address: number
  readonly #oversampling: Bme280Oversampling
  readonly #filter: FilterCoefficient
  readonly #sleep: Sleep
  readonly #serial = new Serial()
  #calibration: Bme280Calibration | undefined

  constructor(bus: I2cBus, options: Bme280Options = {}) {
    this.#bus = bus
    this.#address = options.address ?? 0x76
    checkI2cAddress(this.#address)
    if (options.oversampling?.temperature === 0) {
      throw new SdkError(
        'local.invalid_config',
        "couldn't configure a BME280 without temperature: pressure and humidity compensation need it",
      )
    }
    this.#oversampling = {
      temperature: options.oversampling?.temperature ?? 1,
      pressure: options.oversampling?.pressure ?? 1,
      humidity: options.oversampling?.humidity ?? 1,
    }
    this.#filter = options.filter ?? 0
    this.#sleep = options.sleep ?? realSleep
    this.description = `bme280@${bus.description}:${hexAddress(this.#address)}`
    const o = this.#oversampling
    this.quantities = (['temperature', 'pressure', 'humidity'] as const).filter(
      (q) => q === 'temperature' || o[q] !== 0,
    )
  }

  /** The calibration read by `open`. */
  get calibration(): Bme280Calibration | undefined {
    return this.#calibration
  }

  open(): Promise<void> {
    return this.#serial.run(async () => {
      this.#calibration = undefined
      const [id] = await this.#readRegisters(REG_ID, 1)
      if (id !== CHIP_ID) throw wrongChipError(this.description, id ?? 0, CHIP_ID)
      await this.#bus.write(this.#address, Uint8Array.of(REG_RESET, RESET_WORD))
      await this.#sleep(STARTUP_MS)
      await this.#waitStatusClear(STATUS_IM_UPDATE, 'copying its calibration')
      const tp = await this.#readRegisters(REG_CALIB_TP, CALIB_TP_LENGTH)
      const h = await this.#readRegisters(REG_CALIB_H, CALIB_H_LENGTH)
      // config is written in sleep mode, where the reset left the chip (§5.4.6)
      await this.#bus.write(
        this.#address,
        Uint8Array.of(REG_CONFIG, FILTER_CODE[this.#filter] << 2),
      )
      this.#calibration = decodeBme280Calibration(tp, h)
    })
  }

  read(): Promise<SensorReading> {
    return this.#serial.run(async () => {
      const calibration = this.#calibration
      if (calibration === undefined) throw notOpenError(this.description)
      const o = this.#oversampling
      // one write, two register/value pairs: ctrl_hum then ctrl_meas (§6.2.1 multi-byte write)
      await this.#bus.write(
        this.#address,
        Uint8Array.of(
          REG_CTRL_HUM,
          OSRS_CODE[o.humidity],
          REG_CTRL_MEAS,
          (OSRS_CODE[o.temperature] << 5) | (OSRS_CODE[o.pressure] << 2) | MODE_FORCED,
        ),
      )
      await this.#sleep(Math.ceil(maxMeasurementMs(o)))
      await this.#waitStatusClear(STATUS_MEASURING, 'measuring')
      const data = await this.#readRegisters(REG_DATA, DATA_LENGTH)
      return compensate(rawOf(data), calibration, o)
    })
  }

  close(): Promise<void> {
    return this.#serial.run(() => {
      this.#calibration = undefined
      return Promise.resolve()
    })
  }

  #readRegisters(register: number, length: number): Promise<Uint8Array> {
    return this.#bus.writeRead(this.#address, Uint8Array.of(register), length)
  }

  async #waitStatusClear(bit: number, what: string): Promise<void> {
    for (let poll = 0; ; poll += 1) {
      const [status] = await this.#readRegisters(REG_STATUS, 1)
      if (((status ?? 0) & bit) === 0) return
      if (poll === EXTRA_POLLS) throw busyError(this.description, what, EXTRA_POLLS)
      await this.#sleep(1)
    }
  }
}

/** The raw ADC values of one burst read of 0xF7..0xFE. */
export interface Bme280Raw {
  readonly adcP: number
  readonly adcT: number
  readonly adcH: number
}

/** press[19:0] = msb·4096 | lsb·16 | xlsb[7:4], likewise temp; hum[15:0] = msb·256 | lsb. */
export function rawOf(data: Uint8Array): Bme280Raw {
  const b = (i: number): number => data[i] ?? 0
  return {
    adcP: (b(0) << 12) | (b(1) << 4) | (b(2) >> 4),
    adcT: (b(3) << 12) | (b(4) << 4) | (b(5) >> 4),
    adcH: (b(6) << 8) | b(7),
  }
}

function compensate(
  raw: Bme280Raw,
  calibration: Bme280Calibration,
  o: Bme280Oversampling,
): SensorReading {
  const { centiCelsius, tFine } = compensateTemperature(raw.adcT, calibration)
  return {
    temperature: centiCelsius / 100,
    ...(o.pressure === 0
      ? {}
      : { pressure: compensatePressure(raw.adcP, tFine, calibration) / 256 }),
    ...(o.humidity === 0
      ? {}
      : { humidity: compensateHumidity(raw.adcH, tFine, calibration) / 1024 }),
  }
}
