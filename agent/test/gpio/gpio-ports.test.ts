/** GPIO ports: the simulated chip (edges, active-low, read-back, claims) and the onoff adapters' refusals. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { OnoffInput, OnoffOutput, SimulatedGpio } from '../../src/gpio/index.js'
import { addonUnavailable } from '../helpers/native-addons.js'

describe('SimulatedGpio', () => {
  it('reports the configured edges of an input with the level after each', async () => {
    const chip = new SimulatedGpio()
    const both = chip.input(17)
    const heard: [string, boolean][] = []
    await both.open()
    both.watch((level) => heard.push(['both', level]))
    const rising = chip.input(22, { edge: 'rising' })
    await rising.open()
    rising.watch((level) => heard.push(['rising', level]))
    chip.drive(17, true)
    chip.drive(17, true)
    chip.drive(17, false)
    chip.drive(22, true)
    chip.drive(22, false)
    chip.drive(22, true)
    assert.deepEqual(heard, [
      ['both', true],
      ['both', false],
      ['rising', true],
      ['rising', true],
    ])
    assert.equal(await both.read(), false)
    assert.equal(await rising.read(), true)
  })

  it('inverts an active-low input: pressing a button to ground is a rising edge', async () => {
    const chip = new SimulatedGpio()
    chip.drive(5, true)
    const button = chip.input(5, { activeLow: true, edge: 'rising' })
    await button.open()
    const presses: boolean[] = []
    const unwatch = button.watch((level) => presses.push(level))
    assert.equal(await button.read(), false)
    chip.drive(5, false)
    chip.drive(5, true)
    unwatch()
    chip.drive(5, false)
    assert.deepEqual(presses, [true])
  })

  it('drives outputs inactive on open, reads back what they drive, active-low inverted', async () => {
    const chip = new SimulatedGpio()
    const relay = chip.output(27, { activeLow: true })
    await relay.open()
    assert.equal(chip.level(27), true)
    assert.equal(await relay.read(), false)
    await relay.write(true)
    assert.equal(chip.level(27), false)
    assert.equal(await relay.read(), true)
    await relay.close()
    await assert.rejects(relay.write(false), { code: 'local.invalid_state' })
  })

  it('refuses a line another port holds, or one made unusable, until released', async () => {
    const chip = new SimulatedGpio()
    const a = chip.output(4)
    await a.open()
    await assert.rejects(chip.input(4).open(), { code: 'local.io_failed' })
    await a.close()
    await chip.input(4).open()
    chip.makeUnusable(6)
    await assert.rejects(chip.output(6).open(), {
      code: 'local.io_failed',
      message: "couldn't open GPIO line 6: it is busy",
    })
    assert.throws(() => chip.input(-1), { code: 'local.invalid_config' })
  })
})

describe('onoff GPIO ports', () => {
  it('refuse lines that are not GPIO numbers, and use before open', async () => {
    for (const line of [-1, 2.5, Number.NaN]) {
      assert.throws(() => new OnoffInput(line), { code: 'local.invalid_config' })
      assert.throws(() => new OnoffOutput(line), { code: 'local.invalid_config' })
    }
    await assert.rejects(new OnoffInput(17).read(), {
      code: 'local.invalid_state',
      message: "couldn't read GPIO line 17: it isn't open",
    })
    assert.throws(() => new OnoffInput(17).watch(() => undefined), { code: 'local.invalid_state' })
    await assert.rejects(new OnoffOutput(27).write(true), { code: 'local.invalid_state' })
    await assert.rejects(new OnoffOutput(27).read(), { code: 'local.invalid_state' })
  })

  it('fail to open where the sysfs GPIO interface is missing', async (t) => {
    const unavailable = await addonUnavailable('onoff')
    if (unavailable !== undefined) return t.skip(unavailable)
    const { Gpio } = await import('onoff')
    if (Gpio.accessible) return t.skip('this machine exposes /sys/class/gpio')
    for (const port of [
      new OnoffInput(17, { edge: 'falling', debounceMs: 20 }),
      new OnoffOutput(27),
    ]) {
      await assert.rejects(port.open(), {
        code: 'local.io_failed',
        message: /^couldn't open GPIO line (17|27): \/sys\/class\/gpio\/export isn't there/,
      })
    }
  })
})
