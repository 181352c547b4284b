/**
 * The Linux I2C adapter over the real `i2c-bus` addon. This machine has no `/dev/i2c-*`, so what
 * runs here is the native module loading and the failures a missing bus produces; transfers are
 * exercised on a Raspberry Pi (README: Sensors and GPIO).
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { describe, it } from 'node:test'
import { LazyI2cBus } from '../../src/hardware/index.js'
import { Bme280, openLinuxI2cBus } from '../../src/sensors/index.js'
import { addonUnavailable } from '../helpers/native-addons.js'

const MISSING_BUS = 250

describe('openLinuxI2cBus', () => {
  it('refuses a bus number that is not one', async () => {
    for (const bus of [-1, 1.5, Number.NaN]) {
      await assert.rejects(openLinuxI2cBus(bus), { code: 'local.invalid_config' })
    }
  })

  it('loads the native addon and names the device file of a bus that is not there', async (t) => {
    const unavailable = await addonUnavailable('i2c-bus')
    if (unavailable !== undefined) return t.skip(unavailable)
    if (existsSync(`/dev/i2c-${MISSING_BUS}`)) return t.skip(`/dev/i2c-${MISSING_BUS} exists`)
    await assert.rejects(openLinuxI2cBus(MISSING_BUS), {
      code: 'local.io_failed',
      message: `couldn't open I2C bus /dev/i2c-${MISSING_BUS}: ENOENT`,
    })
  })

  it('leaves a driver on a missing bus failing its open, typed, and trying again', async (t) => {
    if (existsSync(`/dev/i2c-${MISSING_BUS}`)) return t.skip(`/dev/i2c-${MISSING_BUS} exists`)
    let opens = 0
    const bus = new LazyI2cBus(`/dev/i2c-${MISSING_BUS}`, () => {
      opens += 1
      return openLinuxI2cBus(MISSING_BUS)
    })
    const sensor = new Bme280(bus)
    assert.equal(sensor.description, `bme280@/dev/i2c-${MISSING_BUS}:0x76`)
    await assert.rejects(sensor.open(), { code: 'local.io_failed' })
    await assert.rejects(sensor.open(), { code: 'local.io_failed' })
    assert.equal(opens, 2)
    await bus.close()
  })
})
