/** The LED ports: a sysfs LED on a LED class directory of files, the GPIO LED, config mapping. */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { GpioLed, SimulatedLed, SysfsLed, ledsFromConfig } from '../src/led/index.js'
import { addonUnavailable } from './helpers/native-addons.js'

describe('SysfsLed', () => {
  let root: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'agent-sysfs-'))
  })
  after(() => rm(root, { recursive: true, force: true }))

  async function ledDir(name: string, max: string): Promise<string> {
    const dir = join(root, name)
    await mkdir(dir)
    await writeFile(join(dir, 'max_brightness'), max)
    await writeFile(join(dir, 'brightness'), '0\n')
    return join(dir, 'brightness')
  }

  it('writes max_brightness for on and 0 for off, in call order', async () => {
    const brightness = await ledDir('pwm', '4095\n')
    const led = new SysfsLed('pwm', { root })
    assert.equal(led.description, 'sysfs:pwm')
    await led.open()
    await led.set(true)
    assert.equal(await readFile(brightness, 'utf8'), '4095\n')
    const writes = [false, true, false, true, true, false].map((on) => led.set(on))
    await led.close()
    await Promise.all(writes)
    assert.equal(await readFile(brightness, 'utf8'), '0\n')
  })

  it('fails to open a LED that is not there, or has no usable max_brightness', async () => {
    await assert.rejects(new SysfsLed('absent', { root }).open(), {
      code: 'local.io_failed',
      message: "couldn't open LED absent: ENOENT",
    })
    await ledDir('broken', 'lots\n')
    await assert.rejects(new SysfsLed('broken', { root }).open(), {
      code: 'local.io_failed',
      message: "couldn't open LED broken: bad max_brightness",
    })
  })

  it('refuses names that are not one directory, and sets before open', async () => {
    for (const name of ['', '.', '..', 'a/b', '../leds']) {
      assert.throws(() => new SysfsLed(name, { root }), { code: 'local.invalid_config' })
    }
    await assert.rejects(new SysfsLed('pwm', { root }).set(true), { code: 'local.invalid_state' })
  })

  it('reports a write the kernel refuses', async () => {
    await ledDir('gone', '1\n')
    const led = new SysfsLed('gone', { root })
    await led.open()
    await rm(join(root, 'gone'), { recursive: true })
    await assert.rejects(led.set(true), {
      code: 'local.io_failed',
      message: "couldn't set LED gone: ENOENT",
    })
    await led.close()
  })
})

describe('GpioLed', () => {
  it('refuses a line that is not a GPIO number, and sets before open', async () => {
    for (const line of [-1, 1.5, Number.NaN]) {
      assert.throws(() => new GpioLed(line), { code: 'local.invalid_config' })
    }
    const led = new GpioLed(4, { activeLow: true })
    assert.equal(led.description, 'gpio:4')
    await assert.rejects(led.set(true), { code: 'local.invalid_state' })
  })

  it('fails to open where the sysfs GPIO interface is missing', async (t) => {
    const unavailable = await addonUnavailable('onoff')
    if (unavailable !== undefined) return t.skip(unavailable)
    const { Gpio } = await import('onoff')
    if (Gpio.accessible) return t.skip('this machine exposes /sys/class/gpio')
    await assert.rejects(new GpioLed(4).open(), {
      code: 'local.io_failed',
      message:
        "couldn't open GPIO line 4: /sys/class/gpio/export isn't there or isn't writable by the agent",
    })
  })
})

describe('ledsFromConfig', () => {
  it('makes one LED per [[hardware.leds]] entry, simulated ones reporting their changes', async () => {
    const heard: [string, boolean][] = []
    const leds = ledsFromConfig(
      [
        { id: 'indicator', type: 'simulated' },
        { id: 'status', type: 'sysfs', name: 'board:green:status' },
        { id: 'power', type: 'gpio', line: 17, activeLow: false },
      ],
      { clock: { now: () => 5 }, onSimulatedChange: (id, c) => heard.push([id, c.on]) },
    )
    assert.deepEqual(
      Object.entries(leds).map(([id, led]) => [id, led.description]),
      [
        ['indicator', 'simulated'],
        ['status', 'sysfs:board:green:status'],
        ['power', 'gpio:17'],
      ],
    )
    const indicator = leds['indicator'] as SimulatedLed
    await indicator.set(true)
    assert.deepEqual(indicator.timeline, [{ atMs: 5, on: true }])
    assert.deepEqual(heard, [['indicator', true]])
  })
})
