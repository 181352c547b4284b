/** SHT3x: the datasheet's CRC example and formulas, the driver against the simulated chip, faults. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  SimulatedI2cBus,
  SimulatedSht3x,
  SimulatedTime,
  Sht3x,
  sht3xCrc8,
  sht3xHumidity,
  sht3xRawHumidity,
  sht3xRawTemperature,
  sht3xTemperature,
  sht3xWord,
  type Sht3xOptions,
} from '../../src/sensors/index.js'

describe('SHT3x CRC-8 and conversions', () => {
  it('gives the datasheet example CRC(0xBEEF) = 0x92', () => {
    assert.equal(sht3xCrc8(Uint8Array.of(0xbe, 0xef)), 0x92)
    assert.deepEqual(sht3xWord(0xbeef), [0xbe, 0xef, 0x92])
    // initial value 0xFF: the CRC of no data
    assert.equal(sht3xCrc8(new Uint8Array()), 0xff)
  })

  it('catches every single-bit error of a word', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 15 }),
        (w, bit) => {
          const [, , crc] = sht3xWord(w)
          const flipped = w ^ (1 << bit)
          assert.notEqual(sht3xCrc8(Uint8Array.of(flipped >> 8, flipped & 0xff)), crc)
        },
      ),
    )
  })

  it("converts with §4.13's formulas: the ends of the range and mid-scale", () => {
    assert.equal(sht3xTemperature(0), -45)
    assert.equal(sht3xTemperature(0xffff), 130)
    assert.equal(sht3xHumidity(0), 0)
    assert.equal(sht3xHumidity(0xffff), 100)
    // 0x6666 = 26214: −45 + 175·26214/65535 = 25.0 °C; RH 40 %
    assert.equal(sht3xTemperature(0x6666), -45 + (175 * 26214) / 65535)
    assert.equal(Math.round(sht3xTemperature(0x6666) * 100) / 100, 25)
    assert.equal(sht3xHumidity(0x6666), 40)
  })
})

function crcOn(word: string): (error: unknown) => boolean {
  return (error) => {
    assert.equal((error as { code?: unknown }).code, 'remote.sensor_crc')
    assert.equal((error as { ctx: { word: string } }).ctx.word, word)
    return true
  }
}

function rig(options: Sht3xOptions = {}, address = 0x44) {
  const time = new SimulatedTime(5_000)
  const bus = new SimulatedI2cBus('/dev/i2c-sim')
  const chip = new SimulatedSht3x(time)
  bus.attach(address, chip)
  const sensor = new Sht3x(bus, { address, sleep: time.sleep, ...options })
  return { time, bus, chip, sensor }
}

describe('SHT3x driver on the simulated chip', () => {
  it('opens with a soft reset, a status read and clear, then measures single-shot', async () => {
    const { chip, sensor } = rig()
    await sensor.open()
    assert.deepEqual(chip.commands, [0x30a2, 0xf32d, 0x3041])
    chip.environment = { temperature: 23.5, humidity: 61.25 }
    const reading = await sensor.read()
    assert.equal(chip.commands.at(-1), 0x2400)
    assert.equal(reading.temperature, sht3xTemperature(sht3xRawTemperature(23.5)))
    assert.equal(reading.humidity, sht3xHumidity(sht3xRawHumidity(61.25)))
  })

  it('decodes what the chip measures within its resolution, every repeatability and mode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('high', 'medium', 'low' as const),
        fc.boolean(),
        fc.double({ min: -40, max: 125, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        async (repeatability, clockStretching, temperature, humidity) => {
          const { chip, sensor } = rig({ repeatability, clockStretching }, 0x45)
          await sensor.open()
          chip.environment = { temperature, humidity }
          const r = await sensor.read()
          // half a code step: 175/65535/2 °C and 100/65535/2 %RH
          assert.ok(Math.abs(r.temperature! - temperature) <= 175 / 65535 / 2 + 1e-9)
          assert.ok(Math.abs(r.humidity! - humidity) <= 100 / 65535 / 2 + 1e-9)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('sends the clock-stretching command of the chosen repeatability', async () => {
    const { chip, sensor } = rig({ clockStretching: true, repeatability: 'medium' })
    await sensor.open()
    await sensor.read()
    assert.equal(chip.commands.at(-1), 0x2c0d)
  })

  it('names the word whose CRC is wrong, and reads again when the line is clean', async () => {
    const { chip, sensor } = rig()
    await sensor.open()
    chip.corruptCrc = 'humidity'
    await assert.rejects(sensor.read(), {
      code: 'remote.sensor_crc',
      message:
        /^couldn't read sht3x@\/dev\/i2c-sim:0x44: the humidity word's CRC is 0x[0-9a-f]{2}, its data's is 0x[0-9a-f]{2}$/,
    })
    chip.corruptCrc = 'temperature'
    await assert.rejects(sensor.read(), crcOn('temperature'))
    chip.corruptCrc = 'status'
    await assert.rejects(sensor.status(), crcOn('status'))
    chip.corruptCrc = undefined
    assert.equal(typeof (await sensor.read()).temperature, 'number')
  })

  it('gives up on a chip stuck measuring within a bounded wait; later commands fail as bus errors', async () => {
    const { chip, sensor, time } = rig()
    await sensor.open()
    chip.stuckBusy = true
    const before = time.now()
    await assert.rejects(sensor.read(), { code: 'remote.sensor_timeout' })
    assert.ok(time.now() - before <= 15 + 21, `waited ${time.now() - before} ms`)
    // a chip busy measuring NACKs commands too (§4.4)
    await assert.rejects(sensor.softReset(), { code: 'remote.i2c_failed' })
    await assert.rejects(sensor.read(), { code: 'remote.i2c_failed' })
  })

  it('reports a missing chip as a bus error naming its address', async () => {
    const { bus, sensor } = rig()
    bus.detach(0x44)
    await assert.rejects(sensor.open(), {
      code: 'remote.i2c_failed',
      message: "couldn't write I2C device 0x44 on /dev/i2c-sim: nack",
    })
    await assert.rejects(sensor.read(), { code: 'local.invalid_state' })
  })

  it('reads the status register: reset detected, heater, cleared flags', async () => {
    const { chip, sensor } = rig()
    await sensor.open()
    assert.equal((await sensor.status()).resetDetected, false)
    await sensor.setHeater(true)
    assert.equal(chip.heaterOn, true)
    const status = await sensor.status()
    assert.equal(status.heaterOn, true)
    assert.equal(status.raw, 1 << 13)
    await sensor.softReset()
    const afterReset = await sensor.status()
    assert.deepEqual([afterReset.heaterOn, afterReset.resetDetected], [false, true])
    await sensor.clearStatus()
    assert.equal((await sensor.status()).raw, 0)
  })
})
