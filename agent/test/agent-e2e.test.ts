/**
 * The agent against the sandbox over mutual TLS: the `Agent` class on runtime-node's `Device`
 * (routing, bad server data, a shutdown that loses nothing in flight), then the `astarte-agent`
 * process itself (first-boot registration, the features' interfaces declared, SIGTERM → exit 0).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { serialize } from 'bson'
import { Device, nodeTimers } from '@astarte-ts/runtime-node'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import {
  parseInterface,
  randomDeviceId,
  type Interface,
  type Logger,
  type LogLevel,
  type ServerMessage,
} from '@astarte-ts/sdk-core'
import { Agent } from '../src/core/agent.js'
import type { Feature, FeatureContext } from '../src/core/feature.js'
import { agentFeatures } from '../src/core/features.js'
import { validateConfig } from '../src/config/index.js'

const agentDir = new URL('..', import.meta.url).pathname
const edgehogDir = join(agentDir, '..', 'interfaces', 'edgehog')
const bin = join(agentDir, 'bin', 'astarte-agent.js')
const quiet: Logger = { log: () => undefined }

function iface(json: object): Interface {
  const r = parseInterface(json)
  if (!r.ok) throw new Error(JSON.stringify(r.error))
  return r.value
}

const COUNTERS = {
  interface_name: 'org.astarte-ts.agenttest.Counters',
  version_major: 1,
  version_minor: 0,
  type: 'properties',
  ownership: 'device',
  mappings: [{ endpoint: '/%{n}/value', type: 'integer' }],
}
const CONTROL = {
  interface_name: 'org.astarte-ts.agenttest.Control',
  version_major: 1,
  version_minor: 0,
  type: 'datastream',
  ownership: 'server',
  mappings: [{ endpoint: '/command', type: 'string', reliability: 'unique' }],
}

const SETTINGS = {
  interface_name: 'org.astarte-ts.agenttest.Settings',
  version_major: 1,
  version_minor: 0,
  type: 'properties',
  ownership: 'server',
  mappings: [{ endpoint: '/period', type: 'integer', allow_unset: true }],
}

/**
 * A feature whose start lasts until the device has cached a server property: the agent must hold
 * that property's message until the start resolved.
 */
class SlowStartFeature implements Feature {
  readonly name = 'slow'
  started = false
  readonly seen: { started: boolean; message: ServerMessage }[] = []
  async interfaces(): Promise<readonly Interface[]> {
    return [iface(SETTINGS)]
  }
  async start(context: FeatureContext): Promise<void> {
    await eventually(
      'the server property cached',
      () => context.device.getProperty(SETTINGS.interface_name, '/period'),
      (v) => v !== undefined,
    )
    this.started = true
  }
  onServerMessage(message: ServerMessage): void {
    this.seen.push({ started: this.started, message })
  }
  async stop(): Promise<void> {}
}

/** A feature publishing `count` properties at start, none awaited, and recording its data. */
class ProbeFeature implements Feature {
  readonly name = 'probe'
  readonly received: ServerMessage[] = []
  stopped = false
  constructor(readonly count: number) {}
  async interfaces(): Promise<readonly Interface[]> {
    return [iface(COUNTERS), iface(CONTROL)]
  }
  async start(context: FeatureContext): Promise<void> {
    for (let n = 0; n < this.count; n++) {
      void context.device.setProperty(COUNTERS.interface_name, `/${n}/value`, n).catch(() => {})
    }
  }
  onServerMessage(message: ServerMessage): void {
    if (message.type === 'individual' && message.value === 'throw') {
      throw new Error(`couldn't run ${String(message.value)}`)
    }
    this.received.push(message)
  }
  async stop(): Promise<void> {
    this.stopped = true
  }
}

interface Record_ {
  level: LogLevel
  message: string
  ctx?: Readonly<Record<string, unknown>>
}

/**
 * Polls until `ok`. Bounded at 60 s: an agent process starts under tsx, and on a loaded machine
 * its start alone passed 20 s.
 */
async function eventually<T>(what: string, poll: () => Promise<T> | T, ok: (v: T) => boolean) {
  const end = Date.now() + 60_000
  let last: T | undefined
  while (Date.now() < end) {
    last = await poll()
    if (ok(last)) return last
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`)
}

describe('agent against the sandbox', () => {
  let sandbox: Sandbox
  let tmp: string
  const api = async (method: string, path: string, data?: unknown) => {
    const res = await fetch(`${sandbox.appengineUrl}/v1/${sandbox.realm}/${path}`, {
      method,
      headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
      ...(data === undefined ? {} : { body: JSON.stringify({ data }) }),
    })
    const text = await res.text()
    return { status: res.status, data: (text === '' ? undefined : JSON.parse(text))?.data }
  }
  /** Opens a test's device on the sandbox, and opens it again on the same store. */
  const opener = (deviceId: string, storeDir: string, interfaces: readonly Interface[]) => () =>
    Device.open({
      realm: sandbox.realm,
      pairingUrl: sandbox.pairingUrl,
      deviceId,
      pairingJwt: sandbox.jwt,
      interfaces,
      storeDir,
      caPem: sandbox.caPem,
      logger: quiet,
    })
  const status = async (deviceId: string) =>
    (await api('GET', `devices/${deviceId}`)).data as
      { connected: boolean; introspection: Record<string, unknown> } | undefined

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'agent-e2e-'))
    sandbox = await startSandbox({
      logger: quiet,
      dataDir: join(tmp, 'sandbox'),
      interfacesDir: edgehogDir,
    })
    for (const json of [COUNTERS, CONTROL, SETTINGS]) {
      const res = await fetch(`${sandbox.realmManagementUrl}/v1/${sandbox.realm}/interfaces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: json }),
      })
      assert.equal(res.status, 201)
    }
  })
  after(async () => {
    await sandbox.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  test('routes server data to its feature, ignores bad data, stops losing nothing in flight', async (t) => {
    const records: Record_[] = []
    const logger: Logger = {
      log: (level, message, ctx) =>
        records.push({ level, message, ...(ctx === undefined ? {} : { ctx }) }),
    }
    const probe = new ProbeFeature(200)
    const declared = await Agent.interfacesOf([probe])
    assert.deepEqual(
      declared.interfaces.map((i) => i.name),
      [COUNTERS.interface_name, CONTROL.interface_name],
    )
    const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
    const storeDir = join(tmp, 'class-store')
    const open = opener(deviceId, storeDir, declared.interfaces)
    const device = await open()
    const fatal: unknown[] = []
    const agent = new Agent({
      device,
      features: declared,
      clock: { now: () => Date.now() },
      timers: nodeTimers,
      logger,
      stateDir: storeDir,
      onFatal: (e) => fatal.push(e),
    })
    // a failed assertion must not leave the device connected (the sandbox would wait for it)
    t.after(() => agent.stop())
    await agent.start()
    assert.equal((await stat(join(storeDir, 'probe'))).mode & 0o777, 0o700)
    // connected from the broker's CONNACK on; the introspection the device sends after it
    const online = await eventually(
      'the device online with its introspection',
      () => status(deviceId),
      (s) => s?.connected === true && Object.keys(s.introspection ?? {}).length > 0,
    )
    const introspection = Object.keys(online?.introspection ?? {}).sort()
    assert.deepEqual(introspection, [CONTROL.interface_name, COUNTERS.interface_name])

    // a value of the wrong type (the device's dataError), then one its feature throws on
    await sandbox.publishRaw(deviceId, CONTROL.interface_name, '/command', serialize({ v: 42 }), 2)
    const post = (value: string) =>
      api('POST', `devices/${deviceId}/interfaces/${CONTROL.interface_name}/command`, value)
    assert.equal((await post('throw')).status, 200)
    assert.equal((await post('reboot')).status, 200)
    await eventually(
      'the good command',
      () => probe.received.length,
      (n) => n >= 1,
    )
    assert.deepEqual(
      probe.received.map((m) => (m.type === 'individual' ? [m.path, m.value] : m.type)),
      [['/command', 'reboot']],
    )
    const ignored = records.filter((r) => r.message.startsWith('ignored server data'))
    assert.deepEqual(
      ignored.map((r) => [r.level, r.ctx?.['interfaceName'], r.ctx?.['path']]),
      [
        ['warn', CONTROL.interface_name, '/command'],
        ['error', CONTROL.interface_name, '/command'],
      ],
    )
    assert.deepEqual(fatal, [])

    await agent.stop()
    assert.equal(probe.stopped, true)
    assert.equal(device.state, 'closed')
    // every property handed over at start settled (queued on disk) before the device closed; the
    // stop doesn't wait for delivery, and the commands above may reach the device ahead of the
    // acknowledgements that let the last properties out: what is left goes at the next connection
    const again = await open()
    t.after(() => again.close())
    await again.connect()
    const counters = await eventually(
      'the 200 properties',
      async () =>
        ((await api('GET', `devices/${deviceId}/interfaces/${COUNTERS.interface_name}`)).data ??
          {}) as Record<string, { value: number }>,
      (c) => Object.keys(c).length === 200,
    )
    assert.deepEqual(
      Object.entries(counters).map(([n, v]) => Number(n) === v.value),
      new Array(200).fill(true),
    )
    await again.close()
  })

  test('stopped right after its start: nothing queued is lost, the rest flows at the next start', async (t) => {
    const probe = new ProbeFeature(100)
    const declared = await Agent.interfacesOf([probe])
    const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
    const storeDir = join(tmp, 'queued-store')
    const open = opener(deviceId, storeDir, declared.interfaces)
    const device = await open()
    const agent = new Agent({
      device,
      features: declared,
      clock: { now: () => Date.now() },
      timers: nodeTimers,
      logger: quiet,
      stateDir: storeDir,
    })
    // a failed assertion must not leave the device connected (the sandbox would wait for it)
    t.after(() => agent.stop())
    await agent.start()
    await agent.stop()
    assert.equal(device.state, 'closed')
    const counters = () =>
      api('GET', `devices/${deviceId}/interfaces/${COUNTERS.interface_name}`).then(
        (r) => (r.data ?? {}) as Record<string, { value: number }>,
      )

    const again = await open()
    t.after(() => again.close())
    await again.connect()
    const values = await eventually(
      'the queued properties',
      counters,
      (c) => Object.keys(c).length === 100,
    )
    assert.ok(Object.entries(values).every(([n, v]) => Number(n) === v.value))
    await again.close()
  })

  test('server data arriving while its feature starts is delivered once the start resolved', async (t) => {
    const slow = new SlowStartFeature()
    const declared = await Agent.interfacesOf([slow])
    const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
    const storeDir = join(tmp, 'slow-store')
    const open = opener(deviceId, storeDir, declared.interfaces)
    // registered and introspected once, so AppEngine takes a property it delivers at the next connect
    const first = await open()
    await first.connect()
    await first.close()
    const put = await api(
      'PUT',
      `devices/${deviceId}/interfaces/${SETTINGS.interface_name}/period`,
      30,
    )
    assert.equal(put.status, 200)

    const device = await open()
    const agent = new Agent({
      device,
      features: declared,
      clock: { now: () => Date.now() },
      timers: nodeTimers,
      logger: quiet,
      stateDir: storeDir,
    })
    // a failed assertion must not leave the device connected (the sandbox would wait for it)
    t.after(() => agent.stop())
    await agent.start()
    await eventually(
      'the property delivered',
      () => slow.seen.length,
      (n) => n > 0,
    )
    assert.deepEqual(
      slow.seen.map((s) => [s.started, s.message.type === 'individual' ? s.message.value : null]),
      [[true, 30]],
    )
    await agent.stop()
  })

  test('two features claiming one interface are refused before any device opens', async () => {
    await assert.rejects(
      Agent.interfacesOf([
        new ProbeFeature(0),
        Object.assign(new ProbeFeature(0), { name: 'other' }),
      ]),
      (e: Error & { code?: string }) =>
        e.code === 'local.invalid_config' && /other.*probe already owns it/.test(e.message),
    )
  })

  describe('the astarte-agent process', () => {
    let child: ChildProcess | undefined
    after(() => {
      child?.kill('SIGKILL')
    })

    function startAgent(config: string): { proc: ChildProcess; stderr: () => string } {
      let stderr = ''
      const proc = spawn(
        process.execPath,
        ['--conditions=@astarte-ts/source', '--import', 'tsx', bin, '--config', config],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } },
      )
      proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child = proc
      return { proc, stderr: () => stderr }
    }

    const exited = (proc: ChildProcess) =>
      new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))

    test('a device Astarte refuses ends the process with exit 1, stopped in order', async () => {
      const file = join(tmp, 'refused.toml')
      await writeFile(
        file,
        `store_directory = "${join(tmp, 'refused-store')}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "${randomDeviceId(new Uint8Array(randomBytes(16)))}"
pairing_url = "${sandbox.pairingUrl}"
credentials_secret = "bm90LXJlZ2lzdGVyZWQtaGVyZQ=="
[agent]
ca_file = "${sandbox.caFile}"
`,
      )
      const agent = startAgent(file)
      assert.equal(await exited(agent.proc), 1)
      const log = agent.stderr()
      assert.match(log, /^<3>the device failed \{.*"code":"remote\.pairing_not_found"/m)
      assert.match(log, /^<6>agent stopped$/m)
      assert.doesNotMatch(log, /bm90LXJlZ2lzdGVyZWQtaGVyZQ/)
      child = undefined
    })

    test("an empty device_id is the hardware id's UUIDv5 in edgehog's namespace", async (t) => {
      let hardwareId: string | undefined
      for (const f of ['/sys/class/dmi/id/board_serial', '/etc/machine-id']) {
        hardwareId ??= await readFile(f, 'utf8').then(
          (t) => t.trim() || undefined,
          () => undefined,
        )
      }
      if (hardwareId === undefined) {
        t.skip('this machine has neither a board serial nor a machine id')
        return
      }
      const ns = Buffer.from('f79ad91f-c638-4889-ae74-9d001a3b4cf8'.replace(/-/g, ''), 'hex')
      const bytes = createHash('sha1')
        .update(ns)
        .update(hardwareId, 'utf8')
        .digest()
        .subarray(0, 16)
      bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50
      bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
      const expected = bytes.toString('base64url')

      const file = join(tmp, 'hardware-id.toml')
      await writeFile(
        file,
        `store_directory = "${join(tmp, 'hardware-id-store')}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = ""
pairing_url = "${sandbox.pairingUrl}"
pairing_token = "${sandbox.jwt}"
[agent]
ca_file = "${sandbox.caFile}"
`,
      )
      const agent = startAgent(file)
      const exit = exited(agent.proc)
      await eventually(
        'the agent online',
        () => status(expected),
        (s) => s?.connected === true,
      )
      agent.proc.kill('SIGTERM')
      assert.equal(await exit, 0)
      child = undefined
    })

    test('SIGTERM the moment it runs: what its features handed over reaches Astarte after a restart', async () => {
      const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
      const file = join(tmp, 'early-stop.toml')
      await writeFile(
        file,
        `store_directory = "${join(tmp, 'early-stop-store')}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "${deviceId}"
pairing_url = "${sandbox.pairingUrl}"
pairing_token = "${sandbox.jwt}"
[agent]
ca_file = "${sandbox.caFile}"
`,
      )
      const first = startAgent(file)
      const firstExit = exited(first.proc)
      await eventually('the agent running', first.stderr, (s) => s.includes('agent running'))
      first.proc.kill('SIGTERM')
      assert.equal(await firstExit, 0)

      const second = startAgent(file)
      const secondExit = exited(second.proc)
      for (const name of ['OSInfo', 'HardwareInfo', 'RuntimeInfo']) {
        await eventually(
          `${name} in AppEngine`,
          async () =>
            (await api('GET', `devices/${deviceId}/interfaces/io.edgehog.devicemanager.${name}`))
              .data as object | undefined,
          (d) => d !== undefined && Object.keys(d).length > 0,
        )
      }
      // the data may be in Astarte before this process has taken over SIGTERM (it was the first's)
      await eventually('the agent running', second.stderr, (s) => s.includes('agent running'))
      second.proc.kill('SIGTERM')
      assert.equal(await secondExit, 0)
      child = undefined
    })

    test('registers on first boot, declares its features, exits 0 on SIGTERM; restarts from its store', async () => {
      const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
      const store = join(tmp, 'agent-store')
      const lines = (token: boolean) => `
store_directory = "${store}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "${deviceId}"
pairing_url = "${sandbox.pairingUrl}"
${token ? `pairing_token = "${sandbox.jwt}"` : ''}
[agent]
ca_file = "${sandbox.caFile}"
log_level = "debug"
[[telemetry_config]]
interface_name = "io.edgehog.devicemanager.SystemStatus"
enabled = true
period = 3600
`
      const file = join(tmp, 'agent.toml')
      await writeFile(file, lines(true))

      const parsed = validateConfig({
        store_directory: store,
        astarte_device_sdk: { realm: 'r', pairing_url: 'https://x/p' },
        telemetry_config: [
          { interface_name: 'io.edgehog.devicemanager.SystemStatus', enabled: true, period: 3600 },
        ],
      })
      assert.ok(parsed.ok)
      const expected = (await Agent.interfacesOf(agentFeatures(parsed.config))).interfaces
        .map((i) => i.name)
        .sort()
      assert.ok(expected.includes('io.edgehog.devicemanager.OSInfo'))

      const first = startAgent(file)
      const firstExit = exited(first.proc)
      // connected from the broker's CONNACK on; the introspection the agent sends after it
      const online = await eventually(
        'the agent online with its introspection',
        () => status(deviceId),
        (s) => s?.connected === true && Object.keys(s.introspection ?? {}).length > 0,
      )
      assert.deepEqual(Object.keys(online?.introspection ?? {}).sort(), expected)
      await eventually(
        'OSInfo published',
        async () =>
          (await api('GET', `devices/${deviceId}/interfaces/io.edgehog.devicemanager.OSInfo`)).data,
        (d) => typeof (d as { osName?: unknown } | undefined)?.osName === 'string',
      )
      await eventually('the agent running', first.stderr, (s) => s.includes('agent running'))
      first.proc.kill('SIGTERM')
      assert.equal(await firstExit, 0)
      const log = first.stderr()
      assert.match(log, /^<6>stopping on signal \{"signal":"SIGTERM"\}$/m)
      assert.match(log, /^<6>agent stopped$/m)
      assert.doesNotMatch(log, new RegExp(sandbox.jwt.split('.')[2] as string))
      for (const line of log.trim().split('\n')) assert.match(line, /^<[3-7]>/)
      assert.equal((await stat(store)).mode & 0o777, 0o700)
      await eventually(
        'the device offline',
        () => status(deviceId),
        (s) => s?.connected === false,
      )

      // no token now: the credentials secret saved at registration is enough
      await writeFile(file, lines(false))
      const second = startAgent(file)
      const secondExit = exited(second.proc)
      await eventually('the agent running again', second.stderr, (s) => s.includes('agent running'))
      await eventually(
        'the agent online again',
        () => status(deviceId),
        (s) => s?.connected === true,
      )
      second.proc.kill('SIGINT')
      assert.equal(await secondExit, 0)
      child = undefined
    })
  })
})
