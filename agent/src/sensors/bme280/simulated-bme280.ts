/**
 * @module simulated bme280: a model of the chip behind the simulated I2C bus, register for
 * register (datasheet §5): chip id, soft reset (registers to their reset values, NVM copy for 2
 * ms), calibration at 0x88..0xA1 and 0xE1..0xE7, ctrl_hum latched by the next ctrl_meas write,
 * forced mode (measuring for the §9.1 maximum time, then back to sleep with the data registers
 * updated), data shadowed until a measurement ends, skipped measurements reading 0x80000/0x8000.
 * The environment is physical values; the model turns them into ADC codes with the datasheet's
 * floating-point compensation (§8.1) inverted by bisection, so a driver using the integer
 * formulas is checked against an independent computation.
 */
import type { Clock } from '@astarte-ts/sdk-core'
import type { SimulatedI2cChip } from '../i2c/simulated-i2c-bus.js'
import { encodeBme280Calibration, type Bme280Calibration } from './calibration.js'
import {
  CHIP_ID,
  MODE_SLEEP,
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
  SKIPPED_16BIT,
  SKIPPED_20BIT,
  STATUS_IM_UPDATE,
  STATUS_MEASURING,
  maxMeasurementMs,
  oversamplingOf,
} from './registers.js'

/** A typical chip's calibration: BMP280's datasheet example (§3.12) for T and P, H typical of a BME280. */
export const EXAMPLE_CALIBRATION: Bme280Calibration = {
  digT1: 27504,
  digT2: 26435,
  digT3: -1000,
  digP1: 36477,
  digP2: -10685,
  digP3: 3024,
  digP4: 2855,
  digP5: 140,
  digP6: -7,
  digP7: 15500,
  digP8: -14600,
  digP9: 6000,
  digH1: 75,
  digH2: 362,
  digH3: 0,
  digH4: 313,
  digH5: 50,
  digH6: 30,
}

/** The air around the simulated chip. */
export interface Environment {
  /** °C, −40 to 85 (the chip's operating range). */
  readonly temperature: number
  /** Pa, 30,000 to 110,000. */
  readonly pressure: number
  /** %RH, 0 to 100. */
  readonly humidity: number
}

/** The raw codes a measurement produces, when a test sets them directly. */
export interface Bme280AdcValues {
  readonly adcT: number
  readonly adcP: number
  readonly adcH: number
}

/** Options of {@link SimulatedBme280}. */
export interface SimulatedBme280Options {
  readonly calibration?: Bme280Calibration
  /** What 0xD0 reads; 0x60 unless a test plays another chip (a BMP280 reads 0x58). */
  readonly chipId?: number
  readonly environment?: Environment
}

const NVM_COPY_MS = 2

/** The chip model; attach it to a `SimulatedI2cBus` at 0x76 or 0x77. */
export class SimulatedBme280 implements SimulatedI2cChip {
  /** What the next measurement measures. */
  environment: Environment
  /** When set, the next measurements produce these codes instead of the environment's. */
  adcOverride: Bme280AdcValues | undefined
  /** Fault: the chip never finishes a measurement (`measuring` stays set). */
  stuckBusy = false
  /** How many soft resets and forced measurements the chip has seen. */
  resets = 0
  measurements = 0

  readonly #clock: Clock
  readonly #calibration: Bme280Calibration
  readonly #chipId: number
  readonly #regs = new Uint8Array(256)
  #pointer = 0
  #nvmUntilMs = 0
  /** The measurement in progress: when it ends, and its oversampling. */
  #measuring: { endMs: number; osrsT: number; osrsP: number; osrsH: number } | undefined
  /** ctrl_hum as last written; the chip uses it from the next ctrl_meas write. */
  #ctrlHumActive = 0

  constructor(clock: Clock, options: SimulatedBme280Options = {}) {
    this.#clock = clock
    this.#calibration = options.calibration ?? EXAMPLE_CALIBRATION
    this.#chipId = options.chipId ?? CHIP_ID
    this.environment = options.environment ?? { temperature: 21, pressure: 101_325, humidity: 45 }
    this.#powerOn()
  }

  /** The register's value as the chip holds it now (tests read ctrl registers with it). */
  register(address: number): number {
    this.#settle()
    return this.#regs[address] ?? 0
  }

  write(bytes: Uint8Array): void {
    this.#settle()
    const [pointer] = bytes
    if (pointer === undefined) return
    this.#pointer = pointer
    // a write past the pointer is register/value pairs (no auto-increment on writes, §6.2.1)
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      this.#writeRegister(bytes[i]!, bytes[i + 1]!)
    }
  }

  read(length: number): Uint8Array {
    this.#settle()
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 1) {
      const address = (this.#pointer + i) & 0xff
      out[i] = address === REG_STATUS ? this.#status() : (this.#regs[address] ?? 0)
    }
    this.#pointer = (this.#pointer + length) & 0xff
    return out
  }

  #powerOn(): void {
    this.#regs.fill(0)
    this.#regs[REG_ID] = this.#chipId
    const { tp, h } = encodeBme280Calibration(this.#calibration)
    this.#regs.set(tp, REG_CALIB_TP)
    this.#regs.set(h, REG_CALIB_H)
    this.#storeAdc({ adcP: SKIPPED_20BIT, adcT: SKIPPED_20BIT, adcH: SKIPPED_16BIT })
    this.#measuring = undefined
    this.#ctrlHumActive = 0
    this.#nvmUntilMs = this.#clock.now() + NVM_COPY_MS
  }

  #writeRegister(address: number, value: number): void {
    switch (address) {
      case REG_RESET:
        if (value === RESET_WORD) {
          this.resets += 1
          this.#powerOn()
        }
        return
      case REG_CTRL_HUM:
        this.#regs[REG_CTRL_HUM] = value & 0x07
        return
      case REG_CONFIG:
        this.#regs[REG_CONFIG] = value & 0xfd
        return
      case REG_CTRL_MEAS: {
        this.#regs[REG_CTRL_MEAS] = value
        this.#ctrlHumActive = this.#regs[REG_CTRL_HUM]!
        const mode = value & 0b11
        if (mode === 0b01 || mode === 0b10) this.#startForced(value)
        return
      }
      default:
        // the other registers are read-only
        return
    }
  }

  #startForced(ctrlMeas: number): void {
    const osrsT = (ctrlMeas >> 5) & 0b111
    const osrsP = (ctrlMeas >> 2) & 0b111
    const osrsH = this.#ctrlHumActive
    const ms = maxMeasurementMs({
      temperature: oversamplingOf(osrsT),
      pressure: oversamplingOf(osrsP),
      humidity: oversamplingOf(osrsH),
    })
    this.measurements += 1
    this.#measuring = { endMs: this.#clock.now() + ms, osrsT, osrsP, osrsH }
  }

  /** Finishes a measurement whose time has come. */
  #settle(): void {
    const m = this.#measuring
    if (m === undefined || this.stuckBusy || this.#clock.now() < m.endMs) return
    this.#measuring = undefined
    const adc = this.adcOverride ?? adcFor(this.environment, this.#calibration)
    this.#storeAdc({
      adcT: m.osrsT === 0 ? SKIPPED_20BIT : adc.adcT,
      adcP: m.osrsP === 0 ? SKIPPED_20BIT : adc.adcP,
      adcH: m.osrsH === 0 ? SKIPPED_16BIT : adc.adcH,
    })
    this.#regs[REG_CTRL_MEAS] = (this.#regs[REG_CTRL_MEAS]! & ~0b11) | MODE_SLEEP
  }

  #status(): number {
    return (
      (this.#measuring === undefined ? 0 : STATUS_MEASURING) |
      (this.#clock.now() < this.#nvmUntilMs ? STATUS_IM_UPDATE : 0)
    )
  }

  #storeAdc(adc: Bme280AdcValues): void {
    const r = this.#regs
    r[REG_DATA] = adc.adcP >> 12
    r[REG_DATA + 1] = (adc.adcP >> 4) & 0xff
    r[REG_DATA + 2] = (adc.adcP & 0x0f) << 4
    r[REG_DATA + 3] = adc.adcT >> 12
    r[REG_DATA + 4] = (adc.adcT >> 4) & 0xff
    r[REG_DATA + 5] = (adc.adcT & 0x0f) << 4
    r[REG_DATA + 6] = adc.adcH >> 8
    r[REG_DATA + 7] = adc.adcH & 0xff
  }
}

/** The ADC codes the chip measures for `env`: the §8.1 double formulas, inverted. */
export function adcFor(env: Environment, c: Bme280Calibration): Bme280AdcValues {
  // T rises with adc_T, P falls with adc_P, H rises with adc_H
  const adcT = bisect(0, 0xfffff, (adc) => temperatureDouble(adc, c).t - env.temperature)
  const tFine = temperatureDouble(adcT, c).tFine
  const adcP = bisect(0, 0xfffff, (adc) => env.pressure - pressureDouble(adc, tFine, c))
  const adcH = bisect(0, 0xffff, (adc) => humidityDouble(adc, tFine, c) - env.humidity)
  return { adcT, adcP, adcH }
}

/** The code in [lo, hi] where increasing `f` is closest to 0. */
function bisect(lo: number, hi: number, f: (x: number) => number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (f(mid) < 0) lo = mid
    else hi = mid
  }
  return Math.abs(f(lo)) <= Math.abs(f(hi)) ? lo : hi
}

/** `BME280_compensate_T_double`. */
export function temperatureDouble(
  adcT: number,
  c: Bme280Calibration,
): { t: number; tFine: number } {
  const var1 = (adcT / 16384 - c.digT1 / 1024) * c.digT2
  const d = adcT / 131072 - c.digT1 / 8192
  const var2 = d * d * c.digT3
  return { t: (var1 + var2) / 5120, tFine: Math.trunc(var1 + var2) }
}

/** `BME280_compensate_P_double`, in Pa. */
export function pressureDouble(adcP: number, tFine: number, c: Bme280Calibration): number {
  let var1 = tFine / 2 - 64000
  let var2 = (var1 * var1 * c.digP6) / 32768
  var2 = var2 + var1 * c.digP5 * 2
  var2 = var2 / 4 + c.digP4 * 65536
  var1 = ((c.digP3 * var1 * var1) / 524288 + c.digP2 * var1) / 524288
  var1 = (1 + var1 / 32768) * c.digP1
  if (var1 === 0) return 0
  let p = 1048576 - adcP
  p = ((p - var2 / 4096) * 6250) / var1
  var1 = (c.digP9 * p * p) / 2147483648
  var2 = (p * c.digP8) / 32768
  return p + (var1 + var2 + c.digP7) / 16
}

/** `bme280_compensate_H_double`, in %RH, clamped to 0..100 as the datasheet does. */
export function humidityDouble(adcH: number, tFine: number, c: Bme280Calibration): number {
  let h = tFine - 76800
  h =
    (adcH - (c.digH4 * 64 + (c.digH5 / 16384) * h)) *
    ((c.digH2 / 65536) * (1 + (c.digH6 / 67108864) * h * (1 + (c.digH3 / 67108864) * h)))
  h = h * (1 - (c.digH1 * h) / 524288)
  return Math.min(100, Math.max(0, h))
}
