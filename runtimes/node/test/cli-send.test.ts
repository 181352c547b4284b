/** `astarte-device send` spawned from sources against a real sandbox. */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomDeviceId } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { fetchHttpClient, registerDevice } from '../src/index.js'
import { root, runCli, runCliInProcess } from './e2e/cli.js'
import { eventually } from './e2e/helpers.js'

const examples = join(root, 'interfaces', 'examples')

let sandbox: Sandbox
let tmp: string
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'astarte-cli-send-'))
  sandbox = await startSandbox({
    dataDir: join(tmp, 'sandbox'),
    interfacesDir: examples,
    logger: { log: () => undefined },
  })
})
after(async () => {
  await sandbox?.stop()
  await rm(tmp, { recursive: true, force: true })
})

async function newDevice(): Promise<{ deviceId: string; secret: string; flags: string[] }> {
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const secret = await registerDevice({
    http: fetchHttpClient({}),
    pairingUrl: sandbox.pairingUrl,
    realm: sandbox.realm,
    jwt: sandbox.jwt,
    deviceId,
  })
  const flags = [
    '--pairing-url',
    sandbox.pairingUrl,
    '--realm',
    sandbox.realm,
    '--device-id',
    deviceId,
    '--interfaces',
    examples,
    '--store',
    join(tmp, `store-${deviceId}`),
    '--ca',
    sandbox.caFile,
  ]
  return { deviceId, secret, flags }
}

async function appengine(path: string): Promise<unknown> {
  const res = await fetch(`${sandbox.appengineUrl}/v1/${sandbox.realm}/${path}`, {
    headers: { authorization: `Bearer ${sandbox.jwt}` },
  })
  return res.status === 200 ? ((await res.json()) as { data: unknown }).data : undefined
}

test('send one value with a timestamp; the secret comes from env; exit 0 once acknowledged', async () => {
  const { deviceId, secret, flags } = await newDevice()
  const r = await runCli(
    [
      'send',
      ...flags,
      'org.astarte-ts.examples.Telemetry',
      '/s1/uptimeSeconds',
      '"9007199254740993"',
      '--timestamp',
      '2025-01-01T10:00:00.000Z',
    ],
    { ASTARTE_CREDENTIALS_SECRET: secret },
  )
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), { sent: 1, failed: 0 })
  assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret))
  const rows = (await appengine(
    `devices/${deviceId}/interfaces/org.astarte-ts.examples.Telemetry/s1/uptimeSeconds`,
  )) as Array<{ value: unknown; timestamp: string }>
  assert.equal(rows.length, 1)
  assert.equal(rows[0]?.value, '9007199254740993')
  assert.equal(new Date(rows[0]?.timestamp ?? '').toISOString(), '2025-01-01T10:00:00.000Z')
})

test('--stdin sends NDJSON: datastream, object, properties and an unset', async () => {
  const { deviceId, secret, flags } = await newDevice()
  const lines = [
    {
      interface: 'org.astarte-ts.examples.Telemetry',
      path: '/s2/temperature',
      value: 19,
      timestamp: '2025-02-02T00:00:00Z',
    },
    {
      interface: 'org.astarte-ts.examples.Environment',
      path: '/hall',
      value: { temperature: 18.5, co2: 700 },
      timestamp: '2025-02-02T00:00:01Z',
    },
    { interface: 'org.astarte-ts.examples.DeviceStatus', path: '/firmwareVersion', value: '3.0.0' },
    {
      interface: 'org.astarte-ts.examples.DeviceStatus',
      path: '/bootTime',
      value: '2025-02-01T23:00:00.000Z',
    },
    { interface: 'org.astarte-ts.examples.DeviceStatus', path: '/lastError', value: 'oops' },
    { interface: 'org.astarte-ts.examples.DeviceStatus', path: '/lastError', unset: true },
  ]
  const r = await runCli(
    ['send', ...flags, '--credentials-secret', secret, '--stdin'],
    {},
    lines.map((l) => JSON.stringify(l)).join('\n'),
  )
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), { sent: lines.length, failed: 0 })
  const temps = (await appengine(
    `devices/${deviceId}/interfaces/org.astarte-ts.examples.Telemetry/s2/temperature`,
  )) as Array<{ value: unknown }>
  assert.equal(temps[0]?.value, 19)
  const hall = (await appengine(
    `devices/${deviceId}/interfaces/org.astarte-ts.examples.Environment/hall`,
  )) as Array<Record<string, unknown>>
  assert.deepEqual([hall[0]?.temperature, hall[0]?.co2], [18.5, 700])
  const status = await eventually(
    'the properties',
    () => appengine(`devices/${deviceId}/interfaces/org.astarte-ts.examples.DeviceStatus`),
    (d) => typeof d === 'object' && d !== null && 'bootTime' in d,
  )
  assert.deepEqual(status, { firmwareVersion: '3.0.0', bootTime: '2025-02-01T23:00:00.000Z' })
})

test('values that do not fit exit 1 before connecting, every bad line named; nothing is sent', async () => {
  const { deviceId, secret, flags } = await newDevice()
  const lines = [
    {
      interface: 'org.astarte-ts.examples.Telemetry',
      path: '/s1/temperature',
      value: 'hot',
      timestamp: '2025-02-02T00:00:00Z',
    },
    { interface: 'org.astarte-ts.examples.Telemetry', path: '/s1/temperature', value: 20 },
    {
      interface: 'org.astarte-ts.examples.Telemetry',
      path: '/s1/temperature',
      value: 20,
      timestamp: '2025-02-02T00:00:00Z',
    },
    { interface: 'org.example.Unknown', path: '/x', value: 1 },
  ]
  const r = await runCli(
    ['send', ...flags, '--credentials-secret', secret, '--stdin'],
    {},
    lines.map((l) => JSON.stringify(l)).join('\n'),
  )
  assert.equal(r.code, 1, r.stderr)
  assert.equal(r.stdout, '')
  assert.match(
    r.stderr,
    /^astarte-device send: couldn't send: 3 problems in the input, nothing was sent \[local\.invalid_value\]\n/,
  )
  assert.match(
    r.stderr,
    /stdin line 1: org\.astarte-ts\.examples\.Telemetry\/s1\/temperature: expected a double/,
  )
  assert.match(r.stderr, /stdin line 2: .*needs an explicit timestamp: give "timestamp"/)
  assert.match(r.stderr, /stdin line 4: interface org\.example\.Unknown is not in --interfaces/)
  assert.doesNotMatch(r.stderr, /stdin line 3/)
  // checked before the device was even opened: no store, no key, no pairing
  assert.equal(existsSync(join(tmp, `store-${deviceId}`)), false)
})

test('send usage errors exit 2', async () => {
  const { flags } = await newDevice()
  const cases = [
    ['send', ...flags, 'only-two', '/args'],
    ['send', ...flags, '--unset', 'a', '/b', 'extra'],
    ['send', ...flags, '--stdin', 'positional'],
    ['send', '--realm', 'r', 'a', '/b', '1'],
    ['send', ...flags, 'a', '/b', 'not json'],
    ['send', ...flags, 'a', '/b', '1', '--timestamp', 'yesterday'],
  ]
  for (const args of cases) {
    const r = await runCliInProcess(args)
    assert.equal(r.code, 2, `${args.slice(-3).join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, /^astarte-device send: /)
  }
})
