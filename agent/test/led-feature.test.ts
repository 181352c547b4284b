/**
 * The LedBehavior feature end to end: behaviors sent through the sandbox's AppEngine reach the
 * device over mutual TLS and play on simulated LEDs (exact timelines on a manual clock) and on a
 * sysfs LED (a LED class directory in a temporary folder); bad server data is logged with its
 * path and ignored, the agent running on.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { serialize } from 'bson'
import type { Led } from '../src/led/index.js'
import {
  GpioLed,
  LED_BEHAVIOR_INTERFACE,
  SimulatedLed,
  SysfsLed,
  ledFeature,
  type LedChange,
} from '../src/led/index.js'
import {
  startServerDataEnv,
  until,
  type RunningFeature,
  type ServerDataEnv,
} from './server-data-env.js'
import { addonUnavailable } from './helpers/native-addons.js'

const LED = LED_BEHAVIOR_INTERFACE

/** `count` cycles of `cycleMs` from `startMs`, each with `steps` as [offset, on] pairs. */
function cycles(
  startMs: number,
  count: number,
  cycleMs: number,
  steps: readonly (readonly [number, boolean])[],
): LedChange[] {
  const out: LedChange[] = []
  for (let k = 0; k < count; k++) {
    for (const [offset, on] of steps) out.push({ atMs: startMs + k * cycleMs + offset, on })
  }
  return out
}

describe('LedBehavior feature against the sandbox', () => {
  let env: ServerDataEnv
  let dir: string
  before(async () => {
    env = await startServerDataEnv()
    dir = await mkdtemp(join(tmpdir(), 'agent-leds-'))
  })
  after(async () => {
    await env.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** Simulated LEDs on a clock the agent's run provides once it exists. */
  function simulated(...ids: string[]) {
    let clock: { now(): number } = { now: () => Number.NaN }
    const leds: Record<string, SimulatedLed> = {}
    for (const id of ids) leds[id] = new SimulatedLed({ now: () => clock.now() })
    return { leds, useClock: (c: { now(): number }) => (clock = c) }
  }

  async function run(leds: Record<string, Led>, useClock?: (c: { now(): number }) => void) {
    const r = await env.runFeature(ledFeature({ leds }))
    useClock?.(r.clock)
    return r
  }

  const behave = (r: RunningFeature, path: string, value: unknown) =>
    env.send(r.deviceId, 'POST', `${LED}${path}`, value)

  it('declares LedBehavior only when a LED can be used', async () => {
    const one = ledFeature({ leds: { indicator: new SimulatedLed({ now: () => 0 }) } })
    assert.deepEqual(
      (await one.interfaces()).map((i) => [i.name, i.major, i.minor]),
      [[LED, 0, 1]],
    )
    assert.deepEqual(await ledFeature({ leds: {} }).interfaces(), [])
    const missing = new SysfsLed('no-such-led', { root: dir })
    assert.deepEqual(await ledFeature({ leds: { indicator: missing } }).interfaces(), [])
  })

  it('plays Blink60Seconds on the indicator: the exact timeline, then off', async () => {
    const { leds, useClock } = simulated('indicator')
    const r = await run(leds, useClock)
    const t0 = r.clock.now()
    const sent = await behave(r, '/indicator/behavior', 'Blink60Seconds')
    assert.deepEqual(sent, { status: 200, body: { data: 'Blink60Seconds' } })
    await until('the behavior', () => r.logged('LED behavior started').length === 1)
    assert.deepEqual(r.logged('LED behavior started')[0]?.ctx, {
      feature: 'led',
      interfaceName: LED,
      path: '/indicator/behavior',
      led: 'indicator',
      behavior: 'Blink60Seconds',
    })
    r.clock.advance(59_999)
    assert.equal(r.logged('LED behavior done').length, 0)
    r.clock.advance(1)
    assert.equal(r.logged('LED behavior done').length, 1)
    const expected = cycles(t0, 30, 2000, [
      [0, true],
      [1000, false],
    ])
    assert.deepEqual(leds['indicator']!.timeline, expected)
    r.clock.advance(60_000)
    assert.equal(leds['indicator']!.timeline.length, 60)
    await r.stop()
  })

  it('replaces a running behavior; LEDs run independently', async () => {
    const { leds, useClock } = simulated('indicator', 'status')
    const r = await run(leds, useClock)
    const t0 = r.clock.now()
    await behave(r, '/indicator/behavior', 'DoubleBlink60Seconds')
    await behave(r, '/status/behavior', 'SlowBlink60Seconds')
    await until('both behaviors', () => r.logged('LED behavior started').length === 2)
    r.clock.advance(2000)
    await behave(r, '/indicator/behavior', 'SlowBlink60Seconds')
    await until('the replacement', () => r.logged('LED behavior replaced').length === 1)
    r.clock.advance(60_000)
    const double = cycles(t0, 2, 1800, [
      [0, true],
      [300, false],
      [500, true],
      [800, false],
    ])
    const slow = (from: number) =>
      cycles(from, 15, 4000, [
        [0, true],
        [2000, false],
      ])
    // cut at 2 s: the second cycle's first flash (1.8 s on) is where the slow blink took over
    assert.deepEqual(leds['indicator']!.timeline, [...double.slice(0, 5), ...slow(t0 + 2000)])
    assert.deepEqual(leds['status']!.timeline, slow(t0))
    assert.equal(r.logged('LED behavior done').length, 2)
    await r.stop()
  })

  it('logs bad data with its path and ignores it; the agent runs on', async () => {
    const { leds, useClock } = simulated('indicator')
    const r = await run(leds, useClock)
    await behave(r, '/indicator/behavior', 'Blink30Seconds')
    await behave(r, '/status/behavior', 'Blink60Seconds')
    // AppEngine refuses a wrong type; a misbehaving server could still send it.
    assert.equal((await behave(r, '/indicator/behavior', 1)).status, 422)
    await env.sandbox.publishRaw(r.deviceId, LED, '/indicator/behavior', serialize({ v: 1 }), 2)
    const misfit = "ignored server data that doesn't fit its interface"
    await until('the bad data', () =>
      [misfit, 'ignored an unknown LED behavior', 'ignored a LED behavior: no such LED'].every(
        (m) => r.logged(m).length === 1,
      ),
    )
    const base = { feature: 'led', interfaceName: LED }
    assert.deepEqual(r.logged('ignored an unknown LED behavior')[0]?.ctx, {
      ...base,
      path: '/indicator/behavior',
      behavior: 'Blink30Seconds',
    })
    assert.deepEqual(r.logged('ignored a LED behavior: no such LED')[0]?.ctx, {
      ...base,
      path: '/status/behavior',
      led: 'status',
    })
    assert.equal(r.logged(misfit)[0]?.ctx['path'], '/indicator/behavior')
    r.clock.advance(5000)
    assert.deepEqual(leds['indicator']!.timeline, [])

    const t0 = r.clock.now()
    await behave(r, '/indicator/behavior', 'SlowBlink60Seconds')
    await until('the good behavior', () => r.logged('LED behavior started').length === 1)
    r.clock.advance(2000)
    assert.deepEqual(leds['indicator']!.timeline, [
      { atMs: t0, on: true },
      { atMs: t0 + 2000, on: false },
    ])
    await r.stop()
  })

  it('logs what reaches it unchecked: a wrong type, a path of another shape', async () => {
    const { leds, useClock } = simulated('indicator')
    const r = await run(leds, useClock)
    const feature = ledFeature({ leds })
    await feature.interfaces()
    await feature.start({
      device: r.agent.device,
      clock: r.clock,
      timers: { set: () => undefined, clear: () => undefined },
      logger: { log: (level, message, ctx) => r.entries.push({ level, message, ctx: ctx ?? {} }) },
      stateDir: dir,
    })
    const path = '/indicator/behavior'
    feature.onServerMessage?.({ type: 'individual', interfaceName: LED, path, value: 1n })
    feature.onServerMessage?.({ type: 'unset', interfaceName: LED, path: '/indicator' })
    assert.deepEqual(r.logged('ignored a LED behavior: not a string')[0]?.ctx, {
      interfaceName: LED,
      path,
      value: '1n',
    })
    assert.deepEqual(r.logged('ignored server data: not a LED behavior')[0]?.ctx, {
      interfaceName: LED,
      path: '/indicator',
      type: 'unset',
    })
    assert.deepEqual(leds['indicator']!.timeline, [])
    await feature.stop()
    await r.stop()
  })

  it('switches the LED off when the agent stops mid-behavior', async () => {
    const { leds, useClock } = simulated('indicator')
    const r = await run(leds, useClock)
    const t0 = r.clock.now()
    await behave(r, '/indicator/behavior', 'SlowBlink60Seconds')
    await until('the behavior', () => r.logged('LED behavior started').length === 1)
    r.clock.advance(500)
    await r.stop()
    r.clock.advance(60_000)
    assert.deepEqual(leds['indicator']!.timeline, [
      { atMs: t0, on: true },
      { atMs: t0 + 500, on: false },
    ])
  })

  it('drives a sysfs LED at its max_brightness', async () => {
    const root = join(dir, 'leds')
    await mkdir(join(root, 'board:green:status'), { recursive: true })
    const brightness = join(root, 'board:green:status', 'brightness')
    await writeFile(join(root, 'board:green:status', 'max_brightness'), '255\n')
    await writeFile(brightness, '0\n')
    const r = await run({ indicator: new SysfsLed('board:green:status', { root }) })
    await behave(r, '/indicator/behavior', 'Blink60Seconds')
    const reads = async () => readFile(brightness, 'utf8')
    let now = ''
    const poll = async (want: string) => {
      for (let i = 0; i < 500 && now !== want; i++) {
        now = await reads()
        if (now !== want) await new Promise((res) => setTimeout(res, 20))
      }
      assert.equal(now, want)
    }
    await poll('255\n')
    r.clock.advance(1000)
    await poll('0\n')
    r.clock.advance(1000)
    await poll('255\n')
    await r.stop()
    assert.equal(await reads(), '0\n')
  })

  it('leaves out a GPIO LED this machine cannot drive, and says why at start', async (t) => {
    const unavailable = await addonUnavailable('onoff')
    if (unavailable !== undefined) return t.skip(unavailable)
    const { Gpio } = await import('onoff')
    if (Gpio.accessible) return t.skip('this machine exposes /sys/class/gpio')
    const r = await run({ indicator: new GpioLed(17) })
    assert.deepEqual(r.logged('left out a LED that cannot be used')[0]?.ctx, {
      feature: 'led',
      id: 'indicator',
      led: 'gpio:17',
      error:
        "couldn't open GPIO line 17: /sys/class/gpio/export isn't there or isn't writable by the agent",
    })
    assert.deepEqual(r.logged('LEDs ready')[0]?.ctx, { feature: 'led', leds: [] })
    await r.stop()
  })
})
