/** `[[hardware.sensors]]` and `[[hardware.gpio]]`: defaults, every problem at its key path. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseToml, validateConfig, type ConfigProblem } from '../../src/config/index.js'

const minimal = `
store_directory = "/var/lib/edgehog"
[astarte_device_sdk]
realm = "r"
pairing_url = "https://api.example.com/pairing"
`

function validate(text: string) {
  const parsed = parseToml(minimal + text)
  assert.ok(parsed.ok)
  return validateConfig(parsed.doc)
}

function problems(text: string): ConfigProblem[] {
  const result = validate(text)
  assert.equal(result.ok, false)
  return result.ok ? [] : [...result.problems]
}

describe('hardware sensors and GPIO configuration', () => {
  it('reads sensors and lines with their defaults', () => {
    const result = validate(`
[[hardware.sensors]]
id = "kitchen"
kind = "bme280"
address = 0x77
oversampling = 4
tags = { room = "kitchen" }

[[hardware.sensors]]
id = "cellar"
kind = "simulated-sht3x"
period_ms = 250
repeatability = "low"

[[hardware.gpio]]
id = "button"
kind = "gpio"
line = 529
direction = "in"
edge = "falling"
active_low = true
debounce_ms = 20

[[hardware.gpio]]
id = "relay"
kind = "simulated-gpio"
line = 27
direction = "out"
`)
    assert.ok(result.ok, JSON.stringify(result))
    assert.deepEqual(result.config.hardware.sensors, [
      {
        id: 'kitchen',
        kind: 'bme280',
        bus: 1,
        address: 0x77,
        periodMs: 1000,
        tags: { room: 'kitchen' },
        oversampling: 4,
      },
      {
        id: 'cellar',
        kind: 'simulated-sht3x',
        address: 0x44,
        periodMs: 250,
        tags: {},
        repeatability: 'low',
      },
    ])
    assert.deepEqual(result.config.hardware.gpio, [
      {
        id: 'button',
        kind: 'gpio',
        line: 529,
        direction: 'in',
        edge: 'falling',
        debounceMs: 20,
        activeLow: true,
        tags: {},
      },
      {
        id: 'relay',
        kind: 'simulated-gpio',
        line: 27,
        direction: 'out',
        edge: 'both',
        debounceMs: 0,
        activeLow: false,
        tags: {},
      },
    ])
  })

  it('names each problem by its key path', () => {
    const found = problems(`
[[hardware.sensors]]
id = "a"
kind = "bmp180"

[[hardware.sensors]]
id = "b"
kind = "sht3x"
address = 0x76
repeatability = "extreme"
tags = { room = 3 }

[[hardware.sensors]]
id = "c"
kind = "bme280"
oversampling = 3
edge = "rising"

[[hardware.gpio]]
id = "c"
kind = "gpio"
direction = "out"
edge = "rising"

[[hardware.gpio]]
id = "d"
kind = "gpio"
direction = "in"
`)
    assert.deepEqual(
      found.map((p) => p.path),
      [
        'hardware.sensors[0].kind',
        'hardware.sensors[1].address',
        'hardware.sensors[1].tags.room',
        'hardware.sensors[1].repeatability',
        'hardware.sensors[2].oversampling',
        'hardware.sensors[2].edge',
        'hardware.gpio[0].line',
        'hardware.gpio[0].edge',
        'hardware.gpio[1].line',
      ],
    )
    assert.match(found[1]!.message, /a sht3x answers at 0x44 or 0x45, not 0x76/)
    assert.deepEqual(
      problems(`
[[hardware.sensors]]
id = "x"
kind = "simulated-bme280"
[[hardware.gpio]]
id = "x"
kind = "simulated-gpio"
line = 4
direction = "out"
`),
      [{ path: 'hardware.gpio[0].id', message: 'x is already a sensor or GPIO line id' }],
    )
  })
})
