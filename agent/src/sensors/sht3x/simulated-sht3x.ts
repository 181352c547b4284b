/**
 * @module simulated sht3x: a model of the SHT3x-DIS behind the simulated I2C bus: 16-bit
 * commands (a command word whose bytes aren't a known command sets `commandFailed`), single-shot
 * measurements that take the datasheet's maximum time and are read once (§4.4: without clock
 * stretching the chip NACKs its address until the data is ready and after it was read; with
 * stretching, modelled as the bus holding the read until then), the status register with CRC,
 * soft reset, heater. Faults: a corrupted CRC on a chosen word, a chip stuck measuring.
 */
import type { Clock } from '@astarte-ts/sdk-core'
import { I2C_NACK, type SimulatedI2cChip } from '../i2c/simulated-i2c-bus.js'
import {
  CMD_CLEAR_STATUS,
  CMD_HEATER_OFF,
  CMD_HEATER_ON,
  CMD_READ_STATUS,
  CMD_SOFT_RESET,
  MEASUREMENT_MS,
  SINGLE_SHOT,
  STATUS,
  sht3xRawHumidity,
  sht3xRawTemperature,
  type Repeatability,
} from './commands.js'
import { sht3xWord } from './crc8.js'

/** A word the chip sends, for fault injection. */
export type Sht3xWordName = 'temperature' | 'humidity' | 'status'

/** What the pending read returns. */
type Output =
  { kind: 'measurement'; readyMs: number; stretch: boolean } | { kind: 'status' } | undefined

const SINGLE_SHOTS = new Map<number, { repeatability: Repeatability; stretch: boolean }>()
for (const [mode, commands] of Object.entries(SINGLE_SHOT)) {
  for (const [repeatability, command] of Object.entries(commands)) {
    SINGLE_SHOTS.set(command, {
      repeatability: repeatability as Repeatability,
      stretch: mode === 'stretch',
    })
  }
}

/** The chip model; attach it to a `SimulatedI2cBus` at 0x44 or 0x45. */
export class SimulatedSht3x implements SimulatedI2cChip {
  /** °C and %RH the next measurement reads. */
  environment: { temperature: number; humidity: number }
  /** Fault: the CRC sent after this word is wrong (every time, until cleared). */
  corruptCrc: Sht3xWordName | undefined
  /** Fault: measurements never finish. */
  stuckBusy = false
  /** Commands received, in order (tests check what the driver sent). */
  readonly commands: number[] = []

  readonly #clock: Clock
  #status = STATUS.resetDetected
  #output: Output

  constructor(clock: Clock, environment = { temperature: 22, humidity: 50 }) {
    this.#clock = clock
    this.environment = environment
  }

  /** The heater's state. */
  get heaterOn(): boolean {
    return (this.#status & STATUS.heaterOn) !== 0
  }

  write(bytes: Uint8Array): void {
    if (bytes.length !== 2) {
      this.#status |= STATUS.commandFailed
      return
    }
    const command = (bytes[0]! << 8) | bytes[1]!
    this.commands.push(command)
    const measurement = this.#output?.kind === 'measurement' ? this.#output : undefined
    if (measurement !== undefined && this.#clock.now() < measurement.readyMs) {
      // the chip is busy measuring and doesn't acknowledge (§4.4)
      throw I2C_NACK
    }
    this.#status &= ~STATUS.commandFailed
    this.#output = undefined
    const shot = SINGLE_SHOTS.get(command)
    if (shot !== undefined) {
      this.#output = {
        kind: 'measurement',
        readyMs: this.stuckBusy
          ? Number.POSITIVE_INFINITY
          : this.#clock.now() + MEASUREMENT_MS[shot.repeatability],
        stretch: shot.stretch,
      }
      return
    }
    switch (command) {
      case CMD_READ_STATUS:
        this.#output = { kind: 'status' }
        return
      case CMD_CLEAR_STATUS:
        this.#status &= ~(
          STATUS.alertPending |
          STATUS.humidityAlert |
          STATUS.temperatureAlert |
          STATUS.resetDetected
        )
        return
      case CMD_HEATER_ON:
        this.#status |= STATUS.heaterOn
        return
      case CMD_HEATER_OFF:
        this.#status &= ~STATUS.heaterOn
        return
      case CMD_SOFT_RESET:
        this.#status = STATUS.resetDetected
        return
      default:
        this.#status |= STATUS.commandFailed
    }
  }

  read(length: number): Uint8Array {
    const output = this.#output
    if (output === undefined) throw I2C_NACK
    if (output.kind === 'status') {
      return this.#words([['status', this.#status]], length)
    }
    const ready = this.#clock.now() >= output.readyMs
    // with stretching the bus waits for the data, which a stuck chip never delivers
    if (!ready && (!output.stretch || output.readyMs === Number.POSITIVE_INFINITY)) throw I2C_NACK
    this.#output = undefined
    return this.#words(
      [
        ['temperature', sht3xRawTemperature(this.environment.temperature)],
        ['humidity', sht3xRawHumidity(this.environment.humidity)],
      ],
      length,
    )
  }

  #words(words: readonly [Sht3xWordName, number][], length: number): Uint8Array {
    const bytes = words.flatMap(([name, value]) => {
      const [msb, lsb, crc] = sht3xWord(value)
      return [msb, lsb, this.corruptCrc === name ? crc ^ 0x01 : crc]
    })
    // a master may stop reading early; past the data the chip sends 0xFF
    return Uint8Array.from({ length }, (_, i) => bytes[i] ?? 0xff)
  }
}
