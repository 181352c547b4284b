/** GPIO endpoints on the simulated chip: edges as a push source, levels read, an output driven. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FlowMessage } from '../../src/dataflow/source-sink.js'
import { SimulatedGpio, gpioSink, gpioSource, levelOf } from '../../src/gpio/index.js'

const clock = { now: () => 42 }

describe('gpioSource', () => {
  it('emits each edge with the level after it, reads the level now, stops on stop', async () => {
    const chip = new SimulatedGpio()
    const source = gpioSource(chip.input(17, { edge: 'both' }), {
      name: 'button',
      clock,
      tags: { where: 'door' },
    })
    assert.equal(source.name, 'button')
    const got: FlowMessage[] = []
    await source.push!.start((m) => got.push(m))
    assert.equal(chip.claimed(17), true)
    chip.drive(17, true)
    chip.drive(17, false)
    assert.deepEqual(got, [
      { value: true, timestamp: 42, tags: { where: 'door' } },
      { value: false, timestamp: 42, tags: { where: 'door' } },
    ])
    chip.drive(17, true)
    assert.deepEqual(await source.read!.read(5), [
      { value: true, timestamp: 42, tags: { where: 'door' } },
    ])
    await source.push!.stop()
    chip.drive(17, false)
    assert.equal(got.length, 3)
    await source.close!()
    assert.equal(chip.claimed(17), false)
  })

  it('fails a start whose line cannot be opened, and opens it at the next', async () => {
    const chip = new SimulatedGpio()
    chip.makeUnusable(4)
    const source = gpioSource(chip.input(4), { clock })
    await assert.rejects(Promise.resolve(source.push!.start(() => undefined)), {
      code: 'local.io_failed',
    })
    await source.push!.start(() => undefined)
    assert.equal(chip.claimed(4), true)
  })
})

describe('gpioSink', () => {
  it('drives the output from server data and reads it back (two-way)', async () => {
    const chip = new SimulatedGpio()
    const sink = gpioSink(chip.output(27, { activeLow: true }), { name: 'relay', clock })
    await sink.actuator!.apply({ value: true, timestamp: 1 })
    assert.equal(chip.level(27), false, 'active-low: on is low')
    assert.deepEqual(await sink.read!.read(1), [{ value: true, timestamp: 42 }])
    await sink.actuator!.apply({ value: 0, timestamp: 2 })
    assert.equal(chip.level(27), true)
    await sink.actuator!.apply({ value: { on: 1 }, timestamp: 3 })
    assert.equal(chip.level(27), false)
    await assert.rejects(sink.actuator!.apply({ value: 'on', timestamp: 4 }), {
      code: 'local.invalid_value',
      message: "couldn't drive simulated:27: a level is a boolean or a number, not string",
    })
    assert.equal(chip.level(27), false, 'a refused value leaves the line as it was')
    await sink.close!()
    assert.equal(chip.claimed(27), false)
  })

  it('maps values to levels: booleans, numbers, bigints, one-field records', () => {
    assert.equal(levelOf(true, 'l'), true)
    assert.equal(levelOf(-2.5, 'l'), true)
    assert.equal(levelOf(0n, 'l'), false)
    assert.equal(levelOf({ state: false }, 'l'), false)
    for (const bad of [[true], { a: 1, b: 2 }, new Uint8Array(1), new Date(0)]) {
      assert.throws(() => levelOf(bad, 'l'), { code: 'local.invalid_value' })
    }
  })
})
