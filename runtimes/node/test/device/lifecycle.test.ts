/** Device lifecycle without a server: open errors, aborting a connect that can't succeed, close. */
import { after, before, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { deviceIdFromUuidV5, SdkError } from '@astarte-ts/sdk-core'
import { CREDENTIAL_FILES } from '../../src/credentials/index.js'
import {
  DEFAULT_DEVICE_ID_NAMESPACE,
  Device,
  loadInterfaces,
  type DeviceOptions,
} from '../../src/index.js'

const examples = new URL('../../../../interfaces/examples/', import.meta.url).pathname
let dir: string
let pairing: Server
let pairingUrl: string
let requests = 0

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'astarte-lifecycle-'))
  // a Pairing API that is down for maintenance: every request gets 503
  pairing = createServer((_req, res) => {
    requests++
    res
      .writeHead(503, { 'content-type': 'application/json' })
      .end('{"errors":{"detail":"unavailable"}}')
  })
  await new Promise<void>((resolve) => pairing.listen(0, '127.0.0.1', resolve))
  pairingUrl = `http://127.0.0.1:${(pairing.address() as AddressInfo).port}/pairing`
})
after(async () => {
  await new Promise((resolve) => pairing.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

const options = (over: Partial<DeviceOptions> = {}): DeviceOptions => ({
  realm: 'test',
  pairingUrl,
  deviceId: 'AJInS0w3VpWpuOqkXhgZdA',
  credentialsSecret: 'c2VjcmV0',
  interfaces: [examples],
  storeDir: dir,
  logger: { log: () => undefined },
  backoff: { minMs: 20, maxMs: 50 },
  ...over,
})

/** A Pairing API that takes requests and never answers; `held` settles as each one's socket closes. */
async function silentPairing(t: TestContext): Promise<{ url: string; held: Promise<void>[] }> {
  const held: Promise<void>[] = []
  const silent = createServer(
    (req) => void held.push(new Promise((resolve) => req.socket.once('close', resolve))),
  )
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    silent.closeAllConnections()
    silent.close()
  })
  return { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/pairing`, held }
}

test('open without any secret or pairing JWT is a typed error', async () => {
  const { credentialsSecret: _secret, ...withoutSecret } = options({
    deviceId: 'dvt9mLDaWb2vW7bdBJwKCg',
  })
  await assert.rejects(Device.open(withoutSecret), { code: 'local.no_credentials_secret' })
})

test('a JSON config file opens the same device; relative paths resolve against the file', async () => {
  const configDir = join(dir, 'config')
  await mkdir(configDir, { recursive: true })
  const file = join(configDir, 'device.json')
  await writeFile(
    file,
    JSON.stringify({
      realm: 'test',
      pairingUrl,
      hardwareId: 'serial-7',
      credentialsSecret: 'c2VjcmV0',
      interfaces: [relative(configDir, examples)],
      storeDir: 'state',
    }),
  )
  const device = await Device.open(file)
  try {
    assert.equal(device.deviceId, deviceIdFromUuidV5(DEFAULT_DEVICE_ID_NAMESPACE, 'serial-7'))
    assert.deepEqual(
      device.interfaces().map((i) => i.name),
      (await loadInterfaces([examples])).map((i) => i.name),
    )
    assert.ok((await stat(join(configDir, 'state', device.deviceId, 'store.sqlite'))).isFile())
  } finally {
    await device.close()
  }
})

test('the device folder is 0700; a given secret no Pairing API accepted yet is not saved', async () => {
  const device = await Device.open(options())
  await device.close()
  assert.equal((await stat(join(dir, 'AJInS0w3VpWpuOqkXhgZdA'))).mode & 0o777, 0o700)
  await assert.rejects(stat(join(dir, 'AJInS0w3VpWpuOqkXhgZdA', 'credentials-secret')), {
    code: 'ENOENT',
  })
})

test('a first connect that keeps failing is retried until its signal aborts', async () => {
  const device = await Device.open(options())
  const states: string[] = []
  device.on('stateChanged', ({ state }) => states.push(state))
  const warnings: Array<{ message: string; ctx?: Readonly<Record<string, unknown>> }> = []
  device.on('warning', (w) => warnings.push(w))
  const ac = new AbortController()
  const seen = requests
  // aborted once the Pairing API saw a retry, not after a fixed delay a loaded machine may spend
  // before the second request (bounded, so a connect that never retries fails the count below)
  void (async () => {
    const end = Date.now() + 20_000
    while (requests - seen < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    ac.abort(new Error('gave up'))
  })()
  await assert.rejects(device.connect({ signal: ac.signal }), /gave up/)
  assert.ok(requests - seen >= 2, `pairing was retried (${requests - seen} requests)`)
  assert.equal(states[0], 'pairing')
  // each retry says how long it waits (within the backoff) and why, in words
  const retry = warnings.find((w) => w.message === "couldn't complete pairing, retrying")
  assert.ok(retry !== undefined, JSON.stringify(warnings))
  const inMs = retry.ctx?.['inMs'] as number
  assert.ok(inMs >= 0 && inMs <= options().backoff!.maxMs, `inMs ${inMs}`)
  assert.equal(retry.ctx?.['code'], 'remote.pairing_unexpected')
  assert.match(String(retry.ctx?.['error']), /503/)
  await device.close()
  assert.equal(device.state, 'closed')
})

test('disconnect() while a connect is still retrying makes that connect reject', async () => {
  const device = await Device.open(options())
  try {
    const connecting = device.connect()
    await new Promise((r) => setTimeout(r, 50))
    await device.disconnect()
    await assert.rejects(connecting, { code: 'local.disconnected' })
    assert.equal(device.state, 'idle')
  } finally {
    await device.close()
  }
})

test('close() while a connect is still retrying makes that connect reject with local.closed', async () => {
  const device = await Device.open(options())
  const connecting = device.connect()
  await new Promise((r) => setTimeout(r, 50))
  await device.close()
  await assert.rejects(connecting, { code: 'local.closed' })
})

test('close ends message iterators, rejects later calls, and is idempotent', async () => {
  const device = await Device.open(options())
  const stream = device.messages()
  const ended = (async () => {
    for await (const _ of stream) return 'message'
    return 'ended'
  })()
  await device.close()
  await device.close()
  assert.equal(await ended, 'ended')
  await assert.rejects(
    device.setProperty('org.astarte-ts.examples.DeviceStatus', '/firmwareVersion', '1'),
    (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'local.closed')
      return true
    },
  )
  await assert.rejects(device.connect(), { code: 'local.closed' })
})

test('open refuses an interface with an encrypted mapping before registering or opening a store', async () => {
  const deviceId = 'qD1Qb0iTWWC2c8m7LzTMRw'
  const encrypted = {
    interface_name: 'org.astarte-ts.test.Sealed',
    version_major: 1,
    version_minor: 0,
    type: 'datastream',
    ownership: 'device',
    mappings: [{ endpoint: '/secret', type: 'string', encrypted: true }],
  }
  // no secret yet: without the check, open would register the device with this JWT first
  const { credentialsSecret: _secret, ...firstBoot } = options({
    deviceId,
    interfaces: [encrypted],
    pairingJwt: 'jwt',
  })
  const before = requests
  await assert.rejects(
    Device.open(firstBoot),
    (e: unknown) =>
      e instanceof SdkError &&
      e.code === 'local.unsupported_interface' &&
      e.message.includes('org.astarte-ts.test.Sealed'),
  )
  assert.equal(requests, before, 'nothing was registered')
  await assert.rejects(stat(join(dir, deviceId, 'store.sqlite')), { code: 'ENOENT' })
})

test("open's signal abandons a first-boot registration the Pairing API holds: its reason, nothing saved", async (t) => {
  // accepts the registration and never answers: only the signal ends it before its 30 s deadline
  const { url, held } = await silentPairing(t)
  const deviceId = 'uJ9RsbCVXx2S2c8D3lRKzg'
  const { credentialsSecret: _secret, ...firstBoot } = options({
    deviceId,
    pairingUrl: url,
    pairingJwt: 'jwt',
  })
  const stop = new AbortController()
  const opening = Device.open(firstBoot, { signal: stop.signal })
  while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  const why = new Error('stopping')
  stop.abort(why)
  await assert.rejects(opening, (e: unknown) => e === why)
  await held[0]
  await assert.rejects(stat(join(dir, deviceId, CREDENTIAL_FILES.credentialsSecret)), {
    code: 'ENOENT',
  })
})

test(
  'close() ends a Pairing request a silent Pairing API holds: its connection closed, not left to its deadline',
  { timeout: 10_000 },
  async (t) => {
    const { url, held } = await silentPairing(t)
    const device = await Device.open(
      options({ deviceId: 'h3RMh8DeVrGd6XNUHZ4gTw', pairingUrl: url }),
    )
    const connecting = device.connect()
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await device.close()
    await assert.rejects(connecting, { code: 'local.closed' })
    // without the abort, the request's socket stays open until its 30 s deadline
    await held[0]
  },
)
