/** `astarte-device register` spawned from sources against a real sandbox. */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deviceIdFromUuidV5, randomDeviceId } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { DEFAULT_NAMESPACE } from '../src/cli/commands/id.js'
import { DEFAULT_DEVICE_ID_NAMESPACE } from '../src/config/options.js'
import { runCli, runCliInProcess } from './e2e/cli.js'

let sandbox: Sandbox
let tmp: string
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'astarte-cli-register-'))
  sandbox = await startSandbox({ dataDir: join(tmp, 'sandbox'), logger: { log: () => undefined } })
})
after(async () => {
  await sandbox?.stop()
  await rm(tmp, { recursive: true, force: true })
})

const base = (): string[] => [
  'register',
  '--pairing-url',
  sandbox.pairingUrl,
  '--realm',
  sandbox.realm,
]

test('register --device-id prints the device id and a 44-char secret', async () => {
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const r = await runCli([...base(), '--jwt', sandbox.jwt, '--device-id', deviceId])
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { deviceId: string; credentialsSecret: string }
  assert.deepEqual(Object.keys(out), ['deviceId', 'credentialsSecret'])
  assert.equal(out.deviceId, deviceId)
  assert.equal(Buffer.from(out.credentialsSecret, 'base64').length, 32)
  assert.ok(!r.stderr.includes(sandbox.jwt))
})

test('the device default namespace is the one of `astarte-device id`', () => {
  assert.equal(DEFAULT_DEVICE_ID_NAMESPACE, DEFAULT_NAMESPACE)
})

test('register --hardware-id derives the UUIDv5 id; JWT from env; --out writes a 0600 file', async () => {
  const out = join(tmp, 'creds.json')
  const r = await runCli([...base(), '--hardware-id', 'serial-42', '--out', out], {
    ASTARTE_PAIRING_JWT: sandbox.jwt,
  })
  assert.equal(r.code, 0, r.stderr)
  const expectedId = deviceIdFromUuidV5(DEFAULT_DEVICE_ID_NAMESPACE, 'serial-42')
  assert.deepEqual(JSON.parse(r.stdout), { deviceId: expectedId, credentialsFile: out })
  assert.ok(!r.stdout.includes('credentialsSecret'))
  assert.equal((await stat(out)).mode & 0o777, 0o600)
  const file = JSON.parse(await readFile(out, 'utf8')) as Record<string, string>
  assert.deepEqual(Object.keys(file), ['realm', 'pairingUrl', 'deviceId', 'credentialsSecret'])
  assert.equal(file.deviceId, expectedId)

  const ns = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'
  const other = await runCli([...base(), '--hardware-id', 'serial-42', '--namespace', ns], {
    ASTARTE_PAIRING_JWT: sandbox.jwt,
  })
  assert.equal(other.code, 0, other.stderr)
  assert.equal(
    (JSON.parse(other.stdout) as { deviceId: string }).deviceId,
    deviceIdFromUuidV5(ns, 'serial-42'),
  )
})

test('a refused JWT exits 1 with the pairing error code and no token in the output', async () => {
  const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
  const bad = sandbox.signJwt({ a_pa: ['GET::nothing'] })
  const r = await runCli([...base(), '--jwt', bad, '--device-id', deviceId])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /\[remote\.pairing_forbidden\]/)
  assert.ok(!r.stderr.includes(bad) && !r.stdout.includes(bad))
})

test('a device id starting with "-" is taken as a value, not an option', async () => {
  const bytes = new Uint8Array(randomBytes(16))
  bytes[0] = 0xf8 // top six bits 62: base64url '-'
  const deviceId = randomDeviceId(bytes)
  assert.equal(deviceId[0], '-')
  const r = await runCli([...base(), '--jwt', sandbox.jwt, '--device-id', deviceId])
  assert.equal(r.code, 0, r.stderr)
  assert.equal((JSON.parse(r.stdout) as { deviceId: string }).deviceId, deviceId)
})

test('usage errors exit 2', async () => {
  const cases = [
    ['register'],
    [...base(), '--jwt', 'x'],
    [...base(), '--jwt', 'x', '--device-id', 'a', '--hardware-id', 'b'],
    [...base(), '--jwt', 'x', '--device-id', 'a', '--namespace', 'n'],
    [...base(), '--device-id', 'a', '--bogus'],
  ]
  const jwt = process.env.ASTARTE_PAIRING_JWT
  delete process.env.ASTARTE_PAIRING_JWT
  try {
    for (const args of cases) {
      const r = await runCliInProcess(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /usage: astarte-device register/)
    }
  } finally {
    if (jwt !== undefined) process.env.ASTARTE_PAIRING_JWT = jwt
  }
  // and once as a real process, for the exit status itself
  assert.equal((await runCli(['register'], { ASTARTE_PAIRING_JWT: '' })).code, 2)
})
