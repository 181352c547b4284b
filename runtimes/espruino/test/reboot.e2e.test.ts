/**
 * A reboot of the Espruino bundle in Duktape, its Storage files kept as a board's flash keeps
 * them: the MQTT session's records (`astarte.s<n>`) let the device complete, after the restart,
 * a QoS 2 exchange the reboot interrupted: outgoing (PUBREL sent, PUBCOMP not read) and incoming
 * (the server's property delivered, our PUBREC lost). Astarte stores the `unique` value once;
 * the application sees the property once.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { DukEngine } from './engine/duk-engine.js'
import { eventually, startEspruinoEnv, type EspruinoEnv } from './engine/espruino-env.js'

const SENSORS = 'org.astarte-ts.espruino.Sensors'
const SETPOINT = 'org.astarte-ts.espruino.Setpoint'
const PUBREC = 5
const PUBCOMP = 7

const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as {
  buildEspruino(): Promise<{ code: string }>
}

let tmp: string
let bundle: string
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'astarte-espruino-reboot-'))
  bundle = join(tmp, 'astarte-espruino.js')
  await writeFile(bundle, (await build.buildEspruino()).code)
})
after(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** Opens `device` (a long backoff: the test reboots before it would reconnect). */
const openDevice = (engine: DukEngine, tables: readonly unknown[], backoffMs: number) =>
  engine.call(
    `var seen = []; var sessions = []; var device = Astarte.open({ interfaces: ${JSON.stringify(tables)}, ` +
      `backoff: { minMs: ${backoffMs}, maxMs: ${backoffMs} }, logger: { log: function () {} } });` +
      `device.on('data', function (m) { seen.push([m.interfaceName, m.path, m.value]) });` +
      `device.on('connected', function (e) { sessions.push(e.sessionPresent) }); 0`,
  )

/**
 * The engine's Storage files as char codes (its output crosses as latin1, so 8-bit text can't
 * cross as it is); `only` keeps the names it matches.
 */
async function filesOf(engine: DukEngine, only = /./): Promise<Record<string, number[]>> {
  const files = JSON.parse(
    (await engine.call(
      'var r = {}; for (var k in __files) { var a = []; for (var i = 0; i < __files[k].length; i++) ' +
        'a.push(__files[k].charCodeAt(i)); r[k] = a }; JSON.stringify(r)',
    )) as string,
  ) as Record<string, number[]>
  return Object.fromEntries(Object.entries(files).filter(([name]) => only.test(name)))
}

/** The MQTT session's record files: name → bytes. */
const sessionFiles = (engine: DukEngine) => filesOf(engine, /^astarte\.s\d+$/)

/** Power off and on: a new engine on the same bundle and the same Storage files. */
async function reboot(env: EspruinoEnv, engine: DukEngine): Promise<DukEngine> {
  const files = await filesOf(engine)
  await engine.stop()
  const next = new DukEngine([bundle])
  await next.call(
    `var f = ${JSON.stringify(files)}; for (var k in f) __files[k] = String.fromCharCode.apply(null, f[k]); 0`,
  )
  await openDevice(next, env.tables, 1000)
  return next
}

test('Duktape: a reboot past PUBREC of a unique send completes it; Astarte stores it once', async () => {
  const env = await startEspruinoEnv({ open: false })
  let engine = env.engine
  try {
    const events = async (): Promise<unknown[]> => {
      const path = `devices/${env.deviceId}/interfaces/${SENSORS}/event`
      const { data } = await env.api('GET', path)
      return Array.isArray(data) ? data.map((d: { value: unknown }) => d.value) : []
    }
    await openDevice(engine, env.tables, 60_000)
    await engine.call('device.connect()')
    // the broker ingests and answers PUBREC, our PUBREL reaches it, its PUBCOMP never reaches us
    const cut = engine.cutAt(PUBCOMP)
    void engine.call(`device.send('${SENSORS}', '/event', 42)`).catch(() => undefined)
    await cut.done
    assert.deepEqual(await events(), [42])
    // its record, DUP set: released (PUBREC came)
    const records = Object.values(await sessionFiles(engine))
    assert.deepEqual(
      records.map((r) => (r[0] as number) & 0x0f),
      [0x0c],
    )

    engine = await reboot(env, engine)
    await engine.call('device.connect()')
    assert.deepEqual(await engine.call('sessions'), [true])
    // the stored ring publishes 42 again: it adopts the exchange the session completed
    await engine.call(`device.send('${SENSORS}', '/event', 43)`)
    const values = await eventually('the value sent after the reboot', events, (v) =>
      v.includes(43),
    )
    assert.deepEqual(values, [42, 43])
    await eventually(
      'no session record left',
      () => sessionFiles(engine),
      (r) => Object.keys(r).length === 0,
    )
  } finally {
    await engine.stop()
    await env.stop()
  }
})

test('Duktape: a reboot after PUBREC of a server property, before PUBREL: the app sees it once', async () => {
  const env = await startEspruinoEnv({ open: false })
  let engine = env.engine
  const put = async (value: number): Promise<void> => {
    const path = `devices/${env.deviceId}/interfaces/${SETPOINT}/target`
    const res = await env.api('PUT', path, value)
    assert.ok(res.status < 300, JSON.stringify(res.data))
  }
  try {
    await openDevice(engine, env.tables, 60_000)
    await engine.call('device.connect()')
    // the device delivers the property, then its PUBREC is lost with the connection
    const cut = engine.cutDeviceAt(PUBREC)
    await put(19.5)
    await cut.done
    assert.deepEqual(await engine.call('seen'), [[SETPOINT, '/target', 19.5]])
    // the id kept, awaiting PUBREL: record 0, one u16
    assert.deepEqual(
      Object.entries(await sessionFiles(engine)).map(([name, r]) => [name, r.length]),
      [['astarte.s0', 2]],
    )

    engine = await reboot(env, engine)
    await engine.call('device.connect()')
    assert.deepEqual(await engine.call('sessions'), [true])
    // the broker sends the unacknowledged property again first (DUP), then this newer value:
    // once this one arrived, the old one was answered, not delivered
    await put(20.5)
    const seen = await eventually(
      'the newer value at the device',
      async () => (await engine.call('seen')) as unknown[],
      (s) => s.length > 0,
    )
    assert.deepEqual(seen, [[SETPOINT, '/target', 20.5]])
    await eventually(
      'the incoming id released',
      () => sessionFiles(engine),
      (r) => Object.keys(r).length === 0,
    )
  } finally {
    await engine.stop()
    await env.stop()
  }
})
