/**
 * @module sht3x: Sensirion SHT3x-DIS driver (SHT30/31/35) over the `I2cBus` port, single-shot
 * mode (§4.3): each `read` sends a measurement command, waits, and reads temperature and
 * humidity, each a 16-bit word followed by its CRC-8, checked before it is used (a mismatch names
 * the word). Without clock stretching (the default: Raspberry Pi's I2C controller mishandles
 * stretching) the driver waits the maximum measurement time, then polls: the chip NACKs its
 * address until the data is ready (§4.4).
 */
import { SdkError } from '@astarte-ts/sdk-core'
import { checkI2cAddress, hexAddress, type I2cBus } from '../i2c/i2c-bus.js'
import { busyError, crcError, notOpenError } from '../sensor-errors.js'
import type { Quantity, Sensor, SensorReading } from '../sensor.js'
import { Serial } from '../serial.js'
import { realSleep, type Sleep } from '../simulated-time.js'
import {
  CMD_CLEAR_STATUS,
  CMD_HEATER_OFF,
  CMD_HEATER_ON,
  CMD_READ_STATUS,
  CMD_SOFT_RESET,
  MEASUREMENT_MS,
  SINGLE_SHOT,
  SOFT_RESET_MS,
  STATUS,
  sht3xHumidity,
  sht3xTemperature,
  type Repeatability,
} from './commands.js'
import { sht3xCrc8 } from './crc8.js'

/** Options of {@link Sht3x}. */
export interface Sht3xOptions {
  /** 0x44 (ADDR to VSS, the default) or 0x45 (ADDR to VDD). */
  readonly address?: number
  /** Default `high`. */
  readonly repeatability?: Repeatability
  /** Use the clock-stretching commands; default false. */
  readonly clockStretching?: boolean
  /** How the driver waits; the host's timers unless a test runs simulated time. */
  readonly sleep?: Sleep
}

/** The status register (§4.11, Table 17), decoded. */
export interface Sht3xStatus {
  readonly raw: number
  readonly alertPending: boolean
  readonly heaterOn: boolean
  readonly humidityAlert: boolean
  readonly temperatureAlert: boolean
  /** A reset (power-on, soft or brown-out) happened since the flags were last cleared. */
  readonly resetDetected: boolean
  /** The last command wasn't processed (invalid, or its checksum failed). */
  readonly commandFailed: boolean
  readonly writeChecksumFailed: boolean
}

/** How many 1 ms polls past the maximum measurement time before the chip is taken as stuck. */
const EXTRA_POLLS = 20

/** An SHT3x on `bus`. */
export class Sht3x implements Sensor {
  readonly description: string
  readonly quantities: readonly Quantity[] = ['temperature', 'humidity']
  readonly #bus: I2cBus
  readonly #address: number
  readonly #repeatability: Repeatability
  readonly #stretch: boolean
  readonly #sleep: Sleep
  readonly #serial = new Serial()
  #open = false

  constructor(bus: I2cBus, options: Sht3xOptions = {}) {
    this.#bus = bus
    this.#address = options.address ?? 0x44
    checkI2cAddress(this.#address)
    this.#repeatability = options.repeatability ?? 'high'
    this.#stretch = options.clockStretching ?? false
    this.#sleep = options.sleep ?? realSleep
    this.description = `sht3x@${bus.description}:${hexAddress(this.#address)}`
  }

  /** Soft-resets the chip, then reads and clears its status (proving it answers, with CRCs). */
  open(): Promise<void> {
    return this.#serial.run(async () => {
      this.#open = false
      await this.#resetNow()
      await this.#statusNow()
      await this.#command(CMD_CLEAR_STATUS)
      this.#open = true
    })
  }

  read(): Promise<SensorReading> {
    return this.#serial.run(async () => {
      if (!this.#open) throw notOpenError(this.description)
      const mode = this.#stretch ? 'stretch' : 'poll'
      await this.#command(SINGLE_SHOT[mode][this.#repeatability])
      const data = this.#stretch
        ? await this.#bus.read(this.#address, 6)
        : await this.#readWhenReady(Math.ceil(MEASUREMENT_MS[this.#repeatability]))
      const [rawT, rawH] = this.#words(data, ['temperature', 'humidity'])
      return { temperature: sht3xTemperature(rawT!), humidity: sht3xHumidity(rawH!) }
    })
  }

  /** The status register, its CRC checked. */
  status(): Promise<Sht3xStatus> {
    return this.#serial.run(() => this.#statusNow())
  }

  /** Clears the status flags (alerts, reset detected). */
  clearStatus(): Promise<void> {
    return this.#serial.run(() => this.#command(CMD_CLEAR_STATUS))
  }

  /** Switches the internal heater (for plausibility checks; it warms the chip by a few °C). */
  setHeater(on: boolean): Promise<void> {
    return this.#serial.run(() => this.#command(on ? CMD_HEATER_ON : CMD_HEATER_OFF))
  }

  /** Soft reset: the chip reloads its calibration, the heater goes off. */
  softReset(): Promise<void> {
    return this.#serial.run(() => this.#resetNow())
  }

  close(): Promise<void> {
    return this.#serial.run(() => {
      this.#open = false
      return Promise.resolve()
    })
  }

  async #resetNow(): Promise<void> {
    await this.#command(CMD_SOFT_RESET)
    await this.#sleep(Math.ceil(SOFT_RESET_MS))
  }

  async #statusNow(): Promise<Sht3xStatus> {
    await this.#command(CMD_READ_STATUS)
    const [raw] = this.#words(await this.#bus.read(this.#address, 3), ['status'])
    return decodeStatus(raw!)
  }

  #command(command: number): Promise<void> {
    return this.#bus.write(this.#address, Uint8Array.of(command >> 8, command & 0xff))
  }

  async #readWhenReady(waitMs: number): Promise<Uint8Array> {
    await this.#sleep(waitMs)
    for (let poll = 0; ; poll += 1) {
      try {
        return await this.#bus.read(this.#address, 6)
      } catch (error) {
        if (!(error instanceof SdkError) || error.code !== 'remote.i2c_failed') throw error
        if (poll === EXTRA_POLLS) throw busyError(this.description, 'measuring', waitMs + poll)
      }
      await this.#sleep(1)
    }
  }

  /** The words of `data` (MSB, LSB, CRC each), every CRC checked; `names` says which is which. */
  #words(data: Uint8Array, names: readonly string[]): number[] {
    return names.map((name, i) => {
      const msb = data[3 * i] ?? 0
      const lsb = data[3 * i + 1] ?? 0
      const received = data[3 * i + 2] ?? 0
      const computed = sht3xCrc8(Uint8Array.of(msb, lsb))
      if (received !== computed) throw crcError(this.description, name, received, computed)
      return (msb << 8) | lsb
    })
  }
}

function decodeStatus(raw: number): Sht3xStatus {
  const has = (bit: number): boolean => (raw & bit) !== 0
  return {
    raw,
    alertPending: has(STATUS.alertPending),
    heaterOn: has(STATUS.heaterOn),
    humidityAlert: has(STATUS.humidityAlert),
    temperatureAlert: has(STATUS.temperatureAlert),
    resetDetected: has(STATUS.resetDetected),
    commandFailed: has(STATUS.commandFailed),
    writeChecksumFailed: has(STATUS.writeChecksumFailed),
  }
}
