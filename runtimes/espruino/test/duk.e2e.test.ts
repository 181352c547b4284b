/**
 * The Espruino bundle (`dist/astarte-espruino.js` as `npm run build:esp32` makes it) run in
 * Duktape, an ES5 engine, behind a shim offering only Espruino's documented APIs, against the
 * sandbox: provisioned at the factory (the `espruino-storage.js` script run in the engine), it
 * connects from the stored credentials, syncs, sends at QoS 0, 1 and 2, receives a server-owned
 * property, and resumes its session after a connection lost with a QoS 2 exchange in flight.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { compileInterface, parseInterface, randomDeviceId } from '@astarte-ts/sdk-core'
import { nodeCryptoProvider, nodeHttpClient, provisionDevice } from '@astarte-ts/runtime-node'
import { silentLogger, startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { DukEngine } from './engine/duk-engine.js'

/** The build script (plain JS, typed here by what the test uses). */
const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as {
  buildEspruino(): Promise<{ code: string }>
}
const INTERFACES = new URL('./interfaces/', import.meta.url).pathname
const SENSORS = 'org.astarte-ts.espruino.Sensors'
const STATUS = 'org.astarte-ts.espruino.Status'
const SETPOINT = 'org.astarte-ts.espruino.Setpoint'
const PUBREC = 5

let sandbox: Sandbox
let tmp: string
let engine: DukEngine
let deviceId: string

async function api(
  method: string,
  path: string,
  data?: unknown,
): Promise<{ status: number; data: unknown }> {
  const res = await fetch(`${sandbox.appengineUrl}/v1/${sandbox.realm}/${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
    ...(data === undefined ? {} : { body: JSON.stringify({ data }) }),
  })
  const text = await res.text()
  const json = text === '' ? undefined : (JSON.parse(text) as { data?: unknown })
  return { status: res.status, data: json?.data ?? json }
}

/** Polls `read` until `ok` holds (the sandbox ingests asynchronously); no fixed sleep. */
async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > deadline) assert.fail(`${what}: last ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The values of a datastream path, oldest first. */
async function history(path: string): Promise<unknown[]> {
  const { status, data } = await api('GET', `devices/${deviceId}/interfaces/${SENSORS}${path}`)
  if (status === 404) return []
  assert.equal(status, 200, JSON.stringify(data))
  return (data as { value: unknown }[]).map((d) => d.value)
}

describe('the Espruino bundle in Duktape against the sandbox', { timeout: 240_000 }, () => {
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'astarte-espruino-'))
    sandbox = await startSandbox({ logger: silentLogger, dataDir: join(tmp, 'sandbox') })
    const tables: unknown[] = []
    for (const name of await readdir(INTERFACES)) {
      const json: unknown = JSON.parse(await readFile(join(INTERFACES, name), 'utf8'))
      const res = await fetch(`${sandbox.realmManagementUrl}/v1/${sandbox.realm}/interfaces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: json }),
      })
      assert.equal(res.status, 201, `install ${name}`)
      const parsed = parseInterface(json)
      assert.ok(parsed.ok)
      tables.push(compileInterface(parsed.value))
    }
    // the factory step, on the production host
    deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
    const provisioned = await provisionDevice({
      http: nodeHttpClient({ caPem: sandbox.caPem, ignoreTlsErrors: false }),
      crypto: nodeCryptoProvider,
      pairingUrl: sandbox.pairingUrl,
      realm: sandbox.realm,
      jwt: () => sandbox.jwt,
      deviceId,
      outDir: join(tmp, 'factory'),
      caPem: sandbox.caPem,
    })
    const { code } = await build.buildEspruino()
    const bundle = join(tmp, 'astarte-espruino.js')
    await writeFile(bundle, code)
    engine = new DukEngine([bundle])
    // the provisioning script, as the Espruino tools would send it once
    const storageScript = await readFile(join(provisioned.dir, 'espruino-storage.js'), 'utf8')
    await engine.call(storageScript)
    await engine.call(
      `var seen = []; var device = Astarte.open({ interfaces: ${JSON.stringify(tables)}, ` +
        `logger: { log: function (level, message) { if (level !== 'debug') console.log(level + ' ' + message) } } });` +
        `device.on('data', function (m) { seen.push([m.interfaceName, m.path, m.value]) });` +
        `var sessions = []; device.on('connected', function (e) { sessions.push(e.sessionPresent) });` +
        `var losses = []; device.on('disconnected', function (e) { losses.push(e.error && e.error.code) }); 0`,
    )
  })

  after(async () => {
    await engine?.stop()
    await sandbox?.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  const noEngineErrors = (): void => {
    assert.deepEqual(engine.uncaught, [], engine.diagnostics())
    assert.deepEqual(engine.stray, [], engine.diagnostics())
  }

  test('connects from the stored credentials and syncs: AppEngine sees its introspection', async () => {
    await engine.call('device.connect()')
    assert.equal(await engine.call('device.state'), 'online')
    const { data } = await api('GET', `devices/${deviceId}`)
    const info = data as { connected: boolean; introspection: Record<string, { major: number }> }
    assert.equal(info.connected, true)
    assert.deepEqual(Object.keys(info.introspection).sort(), [SENSORS, SETPOINT, STATUS])
    noEngineErrors()
  })

  test('datastreams at QoS 0 and QoS 1, an int64 as a decimal string, a property at QoS 2', async () => {
    await engine.call(`device.send('${SENSORS}', '/temperature', 21.5)`)
    await engine.call(`device.send('${SENSORS}', '/count', 7)`)
    await engine.call(`device.send('${SENSORS}', '/uptime', '9007199254740993')`)
    await engine.call(`device.setProperty('${STATUS}', '/name', 'esp32-lab')`)
    assert.deepEqual(
      await eventually(
        'temperature',
        () => history('/temperature'),
        (h) => h.length === 1,
      ),
      [21.5],
    )
    assert.deepEqual(await history('/count'), [7])
    assert.deepEqual((await history('/uptime')).map(String), ['9007199254740993'])
    const status = await api('GET', `devices/${deviceId}/interfaces/${STATUS}/name`)
    assert.equal(status.data, 'esp32-lab')
    noEngineErrors()
  })

  test('a server-owned property reaches the device, a longinteger as a decimal string', async () => {
    for (const [path, value] of [
      ['/target', 19.5],
      ['/limit', '123456789012345678'],
    ] as const) {
      const res = await api('PUT', `devices/${deviceId}/interfaces/${SETPOINT}${path}`, value)
      assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(res.data)}`)
    }
    const seen = await eventually(
      'both values at the device',
      async () => (await engine.call('seen')) as unknown[][],
      (s) => s.length === 2,
    )
    assert.deepEqual(seen, [
      [SETPOINT, '/target', 19.5],
      [SETPOINT, '/limit', '123456789012345678'],
    ])
    assert.equal(
      await engine.call(`device.getProperty('${SETPOINT}', '/limit')`),
      '123456789012345678',
    )
    noEngineErrors()
  })

  test('a connection lost with a unique send in flight: resumed, completed, stored once', async () => {
    const cut = engine.cutAt(PUBREC)
    const sent = engine.call(`device.send('${SENSORS}', '/event', 42)`)
    await cut.done
    // the device reconnects by itself (backoff), resumes the session and completes the exchange
    await sent
    await eventually(
      'the device online again',
      () => engine.call('device.state'),
      (s) => s === 'online',
    )
    await engine.call(`device.send('${SENSORS}', '/event', 43)`)
    const events = await eventually(
      'both events',
      () => history('/event'),
      (h) => h.length >= 2,
    )
    assert.deepEqual(events, [42, 43])
    // one loss, then the broker's session resumed (not a fresh one with everything sent again)
    assert.deepEqual(await engine.call('losses'), ['remote.connection_lost'])
    assert.deepEqual(await engine.call('sessions'), [false, true])
    noEngineErrors()
  })
})
