/**
 * `[[flows]]` in the configuration (validated, syntax errors with their line and column), names
 * resolved with positions (endpoints, processors, interfaces), user processor modules loaded
 * from a path, and the built-in processors with their reverse functions.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { parseToml, validateConfig, type AgentConfig } from '../../src/config/index.js'
import {
  builtinProcessors,
  FlowSyntaxError,
  loadProcessorModules,
  specFromEntry,
  type FlowMessage,
  type Processor,
  type ProcessorOptions,
} from '../../src/dataflow/index.js'
import { quiet } from '../helpers/feature-sandbox.js'
import { example, realTime, ScriptedEndpoint } from './helpers.js'

const base = `
store_directory = "/var/lib/edgehog"
[astarte_device_sdk]
realm = "r"
pairing_url = "https://api.example.com/pairing"
`

function config(text: string): AgentConfig {
  const parsed = parseToml(base + text)
  assert.ok(parsed.ok)
  const result = validateConfig(parsed.doc)
  if (!result.ok) assert.fail(JSON.stringify(result.problems))
  return result.config
}

function problems(text: string): Array<{ path: string; message: string }> {
  const parsed = parseToml(base + text)
  assert.ok(parsed.ok)
  const result = validateConfig(parsed.doc)
  return result.ok ? [] : [...result.problems]
}

describe('[[flows]] in the configuration', () => {
  test('entries with their processors tables, limits and the processor modules', () => {
    const c = config(`
[dataflow]
processor_modules = ["/etc/astarte-agent/smooth.mjs"]

[[flows]]
name = "kitchen"
flow = "Push(kitchen) ~> [calibrate, average(window=5)] ~> org.astarte-ts.examples.Environment"
path = "/%{room}"
buffer = 200
in_flight = 16
[flows.processors.calibrate]
offset = -0.4
gain = 1

[[flows]]
name = "heater"
flow = "Push <~> threshold(level=50) <~> org.astarte-ts.examples.OutputState/%{output}/on"
source = "relay"
reverse = "org.astarte-ts.examples.Setpoint/%{output}/level"
`)
    assert.deepEqual(c.processorModules, ['/etc/astarte-agent/smooth.mjs'])
    assert.deepEqual(c.flows, [
      {
        name: 'kitchen',
        flow: 'Push(kitchen) ~> [calibrate, average(window=5)] ~> org.astarte-ts.examples.Environment',
        path: '/%{room}',
        processors: { calibrate: { offset: -0.4, gain: 1 } },
        limits: { buffer: 200, inFlight: 16 },
      },
      {
        name: 'heater',
        flow: 'Push <~> threshold(level=50) <~> org.astarte-ts.examples.OutputState/%{output}/on',
        source: 'relay',
        reverse: 'org.astarte-ts.examples.Setpoint/%{output}/level',
        processors: {},
        limits: {},
      },
    ])
    assert.deepEqual(config('').flows, [])
  })

  test('a flow that does not parse is a problem naming its line and column', () => {
    const found = problems(`
[[flows]]
name = "bad"
flow = "Push ~> [calibrate ~> org.x.Y"
`)
    assert.equal(found.length, 1)
    assert.equal(found[0]?.path, 'flows[0].flow')
    assert.match(found[0]?.message ?? '', /line 1, column 20: expected ',' or '\]', found '~>'/)
  })

  test('unknown keys, bad limits and option values, twice the same name', () => {
    const found = problems(`
[[flows]]
name = "a"
flow = "Push ~> org.x.Y/%{a}"
bufer = 3
in_flight = 0
[flows.processors.calibrate]
gain = [1]
[[flows]]
name = "a"
flow = "Push ~> org.x.Y/%{a}"
[dataflow]
processor_modules = "x.mjs"
`)
    assert.deepEqual(
      found.map((p) => p.path),
      [
        'flows[0].in_flight',
        'flows[0].processors.calibrate.gain',
        'flows[0].bufer',
        'flows[1].name',
        'dataflow.processor_modules',
      ],
    )
  })
})

describe('names resolved with their positions', () => {
  const scopeOf = async () => ({
    endpoints: new Map([['kitchen', new ScriptedEndpoint('kitchen')]]),
    processors: builtinProcessors,
    interfaces: new Map([['org.astarte-ts.examples.Readings', await example('Readings')]]),
  })
  const entry = (flow: string) => ({ name: 'f', flow, processors: {}, limits: {} })
  const context = { clock: realTime, timers: realTime, logger: quiet, flow: 'f' }

  test('an unknown processor, interface or endpoint', async () => {
    const scope = await scopeOf()
    const cases: Array<[string, number, string]> = [
      ['Push(kitchen) ~> calibrat ~> org.astarte-ts.examples.Readings/%{s}/%{q}', 18, "'calibrat'"],
      ['Push(kitchen) ~> org.astarte-ts.examples.Nope/%{s}', 18, "'org.astarte-ts.examples.Nope'"],
      ['Push(attic) ~> org.astarte-ts.examples.Readings/%{s}/%{q}', 1, "'attic'"],
    ]
    for (const [text, column, found] of cases) {
      assert.throws(
        () => specFromEntry(entry(text), scope),
        (e: unknown) =>
          e instanceof FlowSyntaxError &&
          e.code === 'local.flow_reference' &&
          e.position.column === column &&
          e.found === found,
        text,
      )
    }
  })

  test("a processor's bad option points at the processor", async () => {
    const spec = specFromEntry(
      entry(
        'Push(kitchen) ~> [scale(from_min=0, from_max=0, to_min=0, to_max=1)] ~> org.astarte-ts.examples.Readings/%{s}/%{q}',
      ),
      await scopeOf(),
    )
    const stage = spec.stages[0]
    assert.ok(stage?.type === 'sequential' && stage.stages[0]?.type === 'processor')
    const p = stage.stages[0]
    assert.ok(p.type === 'processor')
    assert.throws(
      () => p.factory(p.options, context),
      (e: unknown) =>
        e instanceof FlowSyntaxError &&
        e.position.column === 19 &&
        /from_max must differ/.test(e.message),
    )
  })

  test('user processor modules: loaded by path, used by name; a taken name is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'processors-'))
    const file = join(dir, 'double.mjs')
    await writeFile(
      file,
      'export const processors = { double: () => ({ process: (m) => ({ ...m, value: m.value * 2 }) }) }\n',
    )
    const registry = await loadProcessorModules([file], builtinProcessors)
    const double = registry.get('double')?.({}, context)
    assert.deepEqual(double?.process({ value: 4, timestamp: 0 }), { value: 8, timestamp: 0 })
    const clash = join(dir, 'clash.mjs')
    await writeFile(clash, 'export const processors = { average: () => ({ process: (m) => m }) }\n')
    await assert.rejects(
      loadProcessorModules([clash], builtinProcessors),
      /a processor named average already exists/,
    )
    await assert.rejects(
      loadProcessorModules([join(dir, 'none.mjs')], builtinProcessors),
      /couldn't load processor module/,
    )
  })
})

describe('built-in processors', () => {
  const context = { clock: realTime, timers: realTime, logger: quiet, flow: 'f' }
  const make = (name: string, options: ProcessorOptions = {}): Processor => {
    const factory = builtinProcessors.get(name)
    assert.ok(factory)
    return factory(options, context)
  }
  const at = (value: FlowMessage['value']): FlowMessage => ({
    value,
    timestamp: 1,
    tags: { s: 'a' },
  })
  const valueOf = (out: ReturnType<Processor['process']>): unknown =>
    out === undefined
      ? undefined
      : Array.isArray(out)
        ? out.map((m: FlowMessage) => m.value)
        : (out as FlowMessage).value
  const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true })

  test('calibrate and scale: reverse undoes forward (property)', () => {
    fc.assert(
      fc.property(
        finite,
        finite.filter((g) => Math.abs(g) > 1e-3),
        finite,
        (x, gain, offset) => {
          const c = make('calibrate', { gain, offset })
          const y = valueOf(c.process(at(x))) as number
          const back = valueOf(c.reverse?.(at(y))) as number
          assert.ok(Math.abs(back - x) <= 1e-6 * Math.max(1, Math.abs(x)))
        },
      ),
    )
    const s = make('scale', { from_min: 0, from_max: 4095, to_min: 0, to_max: 100 })
    assert.equal(valueOf(s.process(at(4095))), 100)
    assert.ok(Math.abs((valueOf(s.reverse?.(at(50))) as number) - 2047.5) < 1e-9)
    const clamped = make('scale', { from_min: 0, from_max: 10, to_min: 0, to_max: 1, clamp: true })
    assert.equal(valueOf(clamped.process(at(20))), 1)
    assert.throws(() => make('calibrate', { gian: 2 }), /gian is not an option of this processor/)
  })

  test('average: moving per field, tumbling once per window', () => {
    const moving = make('average', { window: 3 })
    assert.deepEqual(
      [1, 2, 3, 10].map((x) => valueOf(moving.process(at(x)))),
      [1, 1.5, 2, 5],
    )
    const fields = make('average', { window: 2 })
    fields.process(at({ t: 1, h: 10, label: 'x' }))
    assert.deepEqual(valueOf(fields.process(at({ t: 3, h: 20, label: 'y' }))), {
      t: 2,
      h: 15,
      label: 'y',
    })
    const tumbling = make('average', { window: 2, tumbling: true })
    assert.deepEqual(
      [1, 3, 5, 9].map((x) => valueOf(tumbling.process(at(x)))),
      [undefined, 2, undefined, 7],
    )
  })

  test('filter, deadband, threshold with hysteresis, split', () => {
    const f = make('filter', { min: 0, max: 50, field: 't' })
    assert.deepEqual(
      [-1, 20, 51].map((t) => valueOf(f.process(at({ t })))),
      [undefined, { t: 20 }, undefined],
    )
    const d = make('deadband', { delta: 0.5 })
    assert.deepEqual(
      [1, 1.2, 1.6, 1.3].map((x) => valueOf(d.process(at(x)))),
      [1, undefined, 1.6, undefined],
    )
    const t = make('threshold', { level: 50, hysteresis: 5 })
    assert.deepEqual(
      [40, 50, 47, 44, 49].map((x) => valueOf(t.process(at(x)))),
      [false, true, true, false, false],
    )
    assert.equal(valueOf(t.reverse?.(at(70))), true)
    assert.equal(valueOf(t.process(at(true))), true)
    const p = make('pick', { fields: 'temperature humidity' })
    assert.deepEqual(valueOf(p.process(at({ temperature: 21, pressure: 1e5 }))), {
      temperature: 21,
    })
    assert.equal(p.process(at({ pressure: 1e5 })), undefined)
    const s = make('split', { fields: 'temperature humidity' })
    const parts = s.process(at({ temperature: 21, humidity: 40, pressure: 1e5 })) as FlowMessage[]
    assert.deepEqual(
      parts.map((m) => [m.value, m.tags]),
      [
        [21, { s: 'a', field: 'temperature' }],
        [40, { s: 'a', field: 'humidity' }],
      ],
    )
  })
})
