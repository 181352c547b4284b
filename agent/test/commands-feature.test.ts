/**
 * The Commands feature end to end: Reboot sent through the sandbox's AppEngine reaches the
 * device over mutual TLS and the recording `SystemControl` after the 5 s delay (a manual clock);
 * refusals while busy; bad server data logged with its path and ignored, the agent running on.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { serialize } from 'bson'
import {
  COMMANDS_INTERFACE,
  RecordingSystemControl,
  commandsFeature,
  type CommandsFeatureOptions,
} from '../src/commands/index.js'
import {
  startServerDataEnv,
  until,
  type RunningFeature,
  type ServerDataEnv,
} from './server-data-env.js'

describe('Commands feature against the sandbox', () => {
  let env: ServerDataEnv
  before(async () => {
    env = await startServerDataEnv()
  })
  after(() => env.stop())

  /** An agent running the Commands feature; its reboots recorded on the agent's clock. */
  async function run(
    options: Omit<CommandsFeatureOptions, 'systemControl'> = {},
  ): Promise<{ run: RunningFeature; control: RecordingSystemControl }> {
    let clockRef: { now(): number } = { now: () => Number.NaN }
    const control = new RecordingSystemControl({ now: () => clockRef.now() })
    const running = await env.runFeature(commandsFeature({ ...options, systemControl: control }))
    clockRef = running.clock
    return { run: running, control }
  }

  const reboot = (r: RunningFeature, value: unknown = 'Reboot') =>
    env.send(r.deviceId, 'POST', `${COMMANDS_INTERFACE}/request`, value)

  it('declares Commands alone', async () => {
    const feature = commandsFeature({ systemControl: new RecordingSystemControl({ now: () => 0 }) })
    const names = (await feature.interfaces()).map((i) => [i.name, i.major, i.minor])
    assert.deepEqual(names, [[COMMANDS_INTERFACE, 0, 1]])
  })

  it('reboots 5 s after a Reboot request, once', async () => {
    const { run: r, control } = await run()
    const t0 = r.clock.now()
    assert.deepEqual(await reboot(r), { status: 200, body: { data: 'Reboot' } })
    await until('the request', () => r.logged('rebooting on request').length === 1)
    assert.deepEqual(r.logged('rebooting on request')[0]?.ctx, {
      feature: 'commands',
      interfaceName: COMMANDS_INTERFACE,
      path: '/request',
      delayMs: 5000,
    })
    r.clock.advance(4999)
    assert.deepEqual(control.reboots, [])
    r.clock.advance(1)
    assert.deepEqual(control.reboots, [{ atMs: t0 + 5000 }])
    await until('the outcome', () => r.logged('reboot requested from the system').length === 1)
    r.clock.advance(60_000)
    assert.equal(control.reboots.length, 1)
    await r.stop()
  })

  it('takes a second Reboot during the delay as the same one', async () => {
    const { run: r, control } = await run({ rebootDelayMs: 1000 })
    const t0 = r.clock.now()
    await reboot(r)
    await reboot(r)
    await until('both requests', () => r.logged('a reboot is already on its way').length === 1)
    r.clock.advance(1000)
    assert.deepEqual(control.reboots, [{ atMs: t0 + 1000 }])
    await r.stop()
  })

  it('refuses a reboot while busy, when it arrives and when its delay ends', async () => {
    let busy: string | undefined = 'an update is being deployed'
    const { run: r, control } = await run({ busy: () => busy })
    await reboot(r)
    await until('the refusal', () => r.logged('refused a reboot').length === 1)
    assert.deepEqual(r.logged('refused a reboot')[0]?.ctx, {
      feature: 'commands',
      interfaceName: COMMANDS_INTERFACE,
      path: '/request',
      reason: 'an update is being deployed',
    })
    r.clock.advance(10_000)
    assert.deepEqual(control.reboots, [])

    busy = undefined
    await reboot(r)
    await until('the request', () => r.logged('rebooting on request').length === 1)
    busy = 'an update is being deployed'
    r.clock.advance(5000)
    assert.deepEqual(control.reboots, [])
    assert.equal(r.logged('refused a reboot').length, 2)

    busy = undefined
    const t1 = r.clock.now()
    await reboot(r)
    await until('the last request', () => r.logged('rebooting on request').length === 2)
    r.clock.advance(5000)
    assert.deepEqual(control.reboots, [{ atMs: t1 + 5000 }])
    await r.stop()
  })

  it('logs an unknown command with its path and ignores it; the agent runs on', async () => {
    const { run: r, control } = await run()
    assert.equal((await reboot(r, 'Shutdown')).status, 200)
    await until('the unknown command', () => r.logged('ignored an unknown command').length === 1)
    assert.deepEqual(r.logged('ignored an unknown command')[0]?.ctx, {
      feature: 'commands',
      interfaceName: COMMANDS_INTERFACE,
      path: '/request',
      command: 'Shutdown',
    })
    r.clock.advance(10_000)
    assert.deepEqual(control.reboots, [])
    const t0 = r.clock.now()
    await reboot(r)
    await until('the request', () => r.logged('rebooting on request').length === 1)
    r.clock.advance(5000)
    assert.deepEqual(control.reboots, [{ atMs: t0 + 5000 }])
    await r.stop()
  })

  it('logs a wrong type with its path and ignores it; the agent runs on', async () => {
    const { run: r, control } = await run()
    // AppEngine refuses it; a misbehaving server could still send it.
    assert.equal((await reboot(r, 7)).status, 422)
    await env.sandbox.publishRaw(r.deviceId, COMMANDS_INTERFACE, '/request', serialize({ v: 7 }), 2)
    const misfit = "ignored server data that doesn't fit its interface"
    await until('the wrong type', () => r.logged(misfit).length === 1)
    assert.equal(r.logged(misfit)[0]?.ctx['interfaceName'], COMMANDS_INTERFACE)
    assert.equal(r.logged(misfit)[0]?.ctx['path'], '/request')
    // What reaches the feature unchecked (another agent's routing) gets the same treatment.
    const feature = commandsFeature({ systemControl: control })
    await feature.start({
      device: r.agent.device,
      clock: r.clock,
      timers: { set: () => undefined, clear: () => undefined },
      logger: { log: (level, message, ctx) => r.entries.push({ level, message, ctx: ctx ?? {} }) },
      stateDir: '/nonexistent',
    })
    const base = {
      type: 'individual',
      interfaceName: COMMANDS_INTERFACE,
      path: '/request',
    } as const
    feature.onServerMessage?.({ ...base, value: 7 })
    feature.onServerMessage?.({ type: 'unset', interfaceName: COMMANDS_INTERFACE, path: '/other' })
    assert.deepEqual(r.logged('ignored a command: not a string')[0]?.ctx, {
      interfaceName: COMMANDS_INTERFACE,
      path: '/request',
      value: '7',
    })
    assert.deepEqual(r.logged('ignored server data: not a command request')[0]?.ctx, {
      interfaceName: COMMANDS_INTERFACE,
      path: '/other',
      type: 'unset',
    })
    await feature.stop()

    const t0 = r.clock.now()
    await reboot(r)
    await until('the request', () => r.logged('rebooting on request').length === 1)
    r.clock.advance(5000)
    assert.deepEqual(control.reboots, [{ atMs: t0 + 5000 }])
    await r.stop()
  })

  it('cancels a pending reboot when the agent stops', async () => {
    const { run: r, control } = await run()
    await reboot(r)
    await until('the request', () => r.logged('rebooting on request').length === 1)
    await r.stop()
    assert.equal(r.logged('cancelled a pending reboot: the agent is stopping').length, 1)
    r.clock.advance(10_000)
    assert.deepEqual(control.reboots, [])
  })
})
