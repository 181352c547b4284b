/**
 * BME280: the datasheet's worked example (BMP280 datasheet §3.12, whose T and P formulas BME280's
 * §4.2.3 repeats), the calibration bit packing, and the driver against the simulated chip.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import {
  Bme280,
  EXAMPLE_CALIBRATION,
  SimulatedBme280,
  SimulatedI2cBus,
  SimulatedTime,
  compensateHumidity,
  compensatePressure,
  compensateTemperature,
  pressureDouble,
  decodeBme280Calibration,
  encodeBme280Calibration,
  type Bme280Calibration,
} from '../../src/sensors/index.js'

const REFERENCE_C = new URL('./fixtures/bme280-reference.c', import.meta.url)

/** Runs `file`, feeding `input`; resolves with its stdout. */
function run(file: string, args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${stderr}`, { cause: error }))
      else resolve(stdout)
    })
    child.stdin?.end(input)
  })
}

/** The calibration in the reference program's input order. */
function orderedCalibration(c: Bme280Calibration): Bme280Calibration {
  const { digT1, digT2, digT3, digP1, digP2, digP3, digP4, digP5, digP6, digP7, digP8, digP9 } = c
  const { digH1, digH2, digH3, digH4, digH5, digH6 } = c
  return {
    digT1,
    digT2,
    digT3,
    digP1,
    digP2,
    digP3,
    digP4,
    digP5,
    digP6,
    digP7,
    digP8,
    digP9,
    digH1,
    digH2,
    digH3,
    digH4,
    digH5,
    digH6,
  }
}

describe('BME280 compensation', () => {
  it('gives the datasheet example: adc_T 519888 → t_fine 128422, 25.08 °C', () => {
    const c = EXAMPLE_CALIBRATION
    assert.deepEqual([c.digT1, c.digT2, c.digT3], [27504, 26435, -1000])
    assert.deepEqual(compensateTemperature(519888, c), { centiCelsius: 2508, tFine: 128422 })
  })

  it('gives the datasheet example: adc_P 415148 → 100653.27 Pa (double), 100653.25 (int64)', () => {
    // the example table carries t_fine unrounded (128422.2869) through the double formula
    assert.equal(
      Math.round(pressureDouble(415148, 128422.2869, EXAMPLE_CALIBRATION) * 100),
      10065327,
    )
    // Q24.8; the datasheet's C compiled with cc gives the same (the oracle test below)
    assert.equal(compensatePressure(415148, 128422, EXAMPLE_CALIBRATION), 25767233)
    assert.equal(25767233 / 256, 100653.25390625)
  })

  it("matches the datasheet's C code, compiled, bit for bit on any calibration and ADC codes", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'bme280-ref-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const exe = join(dir, 'reference')
    await run('cc', ['-O1', '-fwrapv', '-o', exe, fileURLToPath(REFERENCE_C)])
    const cases = fc.sample(
      fc.tuple(
        calibrationArb,
        fc.integer({ min: 0, max: 0xfffff }),
        fc.integer({ min: 0, max: 0xfffff }),
        fc.integer({ min: 0, max: 0xffff }),
      ),
      { numRuns: 2000, seed: 20261207 },
    )
    cases.unshift([EXAMPLE_CALIBRATION, 519888, 415148, 0x8000])
    const input = cases
      .map(([c, t, p, h]) => [...Object.values(orderedCalibration(c)), t, p, h].join(' '))
      .join('\n')
    const lines = (await run(exe, [], input)).trim().split('\n')
    assert.equal(lines.length, cases.length)
    cases.forEach(([c, adcT, adcP, adcH], i) => {
      const { centiCelsius, tFine } = compensateTemperature(adcT, c)
      const ours = [
        centiCelsius,
        tFine,
        compensatePressure(adcP, tFine, c),
        compensateHumidity(adcH, tFine, c),
      ].join(' ')
      assert.equal(ours, lines[i], `case ${i}: ${JSON.stringify(c)} ${adcT} ${adcP} ${adcH}`)
    })
  })

  it('returns 0 for a calibration that would divide by zero, as the datasheet does', () => {
    assert.equal(compensatePressure(415148, 128422, { ...EXAMPLE_CALIBRATION, digP1: 0 }), 0)
  })
})

const calibrationArb: fc.Arbitrary<Bme280Calibration> = fc.record({
  digT1: fc.integer({ min: 0, max: 0xffff }),
  digT2: fc.integer({ min: -0x8000, max: 0x7fff }),
  digT3: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP1: fc.integer({ min: 0, max: 0xffff }),
  digP2: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP3: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP4: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP5: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP6: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP7: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP8: fc.integer({ min: -0x8000, max: 0x7fff }),
  digP9: fc.integer({ min: -0x8000, max: 0x7fff }),
  digH1: fc.integer({ min: 0, max: 0xff }),
  digH2: fc.integer({ min: -0x8000, max: 0x7fff }),
  digH3: fc.integer({ min: 0, max: 0xff }),
  digH4: fc.integer({ min: -2048, max: 2047 }),
  digH5: fc.integer({ min: -2048, max: 2047 }),
  digH6: fc.integer({ min: -128, max: 127 }),
})

describe('BME280 calibration', () => {
  it('unpacks dig_H4 and dig_H5 from their shared nibbles of 0xE4..0xE6', () => {
    // 0xE4 = 0x13, 0xE5 = 0xA9, 0xE6 = 0xFE: dig_H4 = 0x13·16 | 0x9, dig_H5 = (int8)0xFE·16 | 0xA
    const { tp } = encodeBme280Calibration(EXAMPLE_CALIBRATION)
    const h = Uint8Array.of(0x6a, 0x01, 0x00, 0x13, 0xa9, 0xfe, 0x1e)
    const c = decodeBme280Calibration(tp, h)
    assert.equal(c.digH2, 362)
    assert.equal(c.digH4, 0x139)
    assert.equal(c.digH5, -2 * 16 + 0xa)
    assert.equal(c.digH6, 30)
  })

  it('reads 0x88..0xA1 little-endian, dig_H1 at 0xA1', () => {
    const { tp } = encodeBme280Calibration(EXAMPLE_CALIBRATION)
    assert.deepEqual([...tp.subarray(0, 6)], [0x70, 0x6b, 0x43, 0x67, 0x18, 0xfc])
    assert.equal(tp[24], 0)
    assert.equal(tp[25], EXAMPLE_CALIBRATION.digH1)
  })

  it('decodes what the chip model encodes, for any calibration', () => {
    fc.assert(
      fc.property(calibrationArb, (c) => {
        const { tp, h } = encodeBme280Calibration(c)
        assert.deepEqual(decodeBme280Calibration(tp, h), { ...c })
      }),
    )
  })
})

function rig(options: ConstructorParameters<typeof SimulatedBme280>[1] = {}) {
  const time = new SimulatedTime(1_000)
  const bus = new SimulatedI2cBus('/dev/i2c-sim')
  const chip = new SimulatedBme280(time, options)
  bus.attach(0x76, chip)
  const sensor = new Bme280(bus, { sleep: time.sleep })
  return { time, bus, chip, sensor }
}

describe('BME280 driver on the simulated chip', () => {
  it('opens (id, reset, calibration, config) and measures in forced mode', async () => {
    const { chip, sensor } = rig()
    await sensor.open()
    assert.equal(chip.resets, 1)
    assert.deepEqual(sensor.calibration, EXAMPLE_CALIBRATION)
    chip.adcOverride = { adcT: 519888, adcP: 415148, adcH: 0x8000 }
    const reading = await sensor.read()
    assert.equal(reading.temperature, 25.08)
    assert.equal(reading.pressure, 25767233 / 256)
    assert.equal(typeof reading.humidity, 'number')
    assert.equal(chip.measurements, 1)
    // back to sleep after the measurement, ctrl_hum ×1, ctrl_meas osrs_t ×1 osrs_p ×1
    assert.equal(chip.register(0xf4), 0b001_001_00)
    assert.equal(chip.register(0xf2), 0b001)
  })

  it('decodes the environment the chip measures within the datasheet resolution', async () => {
    const { chip, sensor } = rig()
    await sensor.open()
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: -40, max: 85, noNaN: true }),
        fc.double({ min: 30_000, max: 110_000, noNaN: true }),
        fc.double({ min: 1, max: 99, noNaN: true }),
        async (temperature, pressure, humidity) => {
          chip.environment = { temperature, pressure, humidity }
          const r = await sensor.read()
          // 0.01 °C output resolution; the integer and double formulas agree to a few Pa
          // and a few hundredths of %RH (datasheet §4.2.3 vs §8.1)
          assert.ok(Math.abs(r.temperature! - temperature) <= 0.02, `T ${r.temperature}`)
          assert.ok(Math.abs(r.pressure! - pressure) <= 3, `P ${r.pressure} vs ${pressure}`)
          assert.ok(Math.abs(r.humidity! - humidity) <= 0.05, `H ${r.humidity} vs ${humidity}`)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('writes the filter to config and each oversampling code to ctrl_hum and ctrl_meas', async () => {
    const time = new SimulatedTime()
    const bus = new SimulatedI2cBus()
    const chip = new SimulatedBme280(time)
    bus.attach(0x76, chip)
    const sensor = new Bme280(bus, {
      filter: 4,
      oversampling: { temperature: 2, pressure: 16, humidity: 8 },
      sleep: time.sleep,
    })
    await sensor.open()
    // filter[4:2] = 0b010 (coefficient 4)
    assert.equal(chip.register(0xf5), 0b010 << 2)
    const before = time.now()
    await sensor.read()
    // osrs_t ×2 = 0b010, osrs_p ×16 = 0b101, mode back to sleep; osrs_h ×8 = 0b100
    assert.equal(chip.register(0xf4), (0b010 << 5) | (0b101 << 2))
    assert.equal(chip.register(0xf2), 0b100)
    // §9.1: 1.25 + 2.3·2 + (2.3·16 + 0.575) + (2.3·8 + 0.575) = 62.2 ms, waited in whole ms
    assert.equal(time.now() - before, 63)
  })

  it('skips pressure and humidity measured at oversampling 0', async () => {
    const time = new SimulatedTime()
    const bus = new SimulatedI2cBus()
    bus.attach(0x77, new SimulatedBme280(time))
    const sensor = new Bme280(bus, {
      address: 0x77,
      oversampling: { pressure: 0, humidity: 0, temperature: 16 },
      sleep: time.sleep,
    })
    assert.deepEqual(sensor.quantities, ['temperature'])
    await sensor.open()
    const reading = await sensor.read()
    assert.deepEqual(Object.keys(reading), ['temperature'])
    assert.throws(() => new Bme280(bus, { oversampling: { temperature: 0 } }), {
      code: 'local.invalid_config',
    })
  })

  it('refuses another chip by its id, naming bus and address', async () => {
    const { sensor } = rig({ chipId: 0x58 })
    await assert.rejects(sensor.open(), {
      code: 'remote.sensor_chip_id',
      message: "couldn't use bme280@/dev/i2c-sim:0x76: its chip id is 0x58, not 0x60",
    })
    await assert.rejects(sensor.read(), { code: 'local.invalid_state' })
  })

  it('reports a NACK with the address, and reads again once the chip answers', async () => {
    const { bus, sensor } = rig()
    await sensor.open()
    bus.nackNext(0x76)
    await assert.rejects(sensor.read(), {
      code: 'remote.i2c_failed',
      message: "couldn't write I2C device 0x76 on /dev/i2c-sim: nack",
    })
    assert.equal(typeof (await sensor.read()).temperature, 'number')
    bus.detach(0x76)
    await assert.rejects(sensor.read(), { code: 'remote.i2c_failed' })
  })

  it('gives up on a chip stuck measuring, then reads once it recovers', async () => {
    const { chip, sensor, time } = rig()
    await sensor.open()
    chip.stuckBusy = true
    const before = time.now()
    await assert.rejects(sensor.read(), { code: 'remote.sensor_timeout' })
    assert.ok(time.now() - before < 100, 'waits a bounded time')
    chip.stuckBusy = false
    assert.equal(typeof (await sensor.read()).temperature, 'number')
  })

  it('runs overlapping reads one at a time', async () => {
    const { chip, sensor } = rig()
    await sensor.open()
    const readings = await Promise.all([sensor.read(), sensor.read(), sensor.read()])
    assert.equal(readings.length, 3)
    assert.equal(chip.measurements, 3)
  })
})
