import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SdkError } from '@astarte-ts/sdk-core'
import { checkDeviceConfig, loadDeviceConfig } from '../../src/config/config-file.js'

async function withConfig(doc: unknown, fn: (file: string, dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'astarte-config-'))
  try {
    const file = join(dir, 'device.json')
    await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc))
    await fn(file, dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const minimal = {
  realm: 'test',
  pairingUrl: 'https://localhost/pairing',
  deviceId: 'AJInS0w3VpWpuOqkXhgZdA',
  storeDir: 'state',
  interfaces: ['interfaces', '/abs/iface.json'],
}

test('config paths resolve against the file directory; secrets come from env', async () => {
  await withConfig({ ...minimal, caFile: 'ca.pem' }, async (file, dir) => {
    const options = await loadDeviceConfig(file, {
      ASTARTE_CREDENTIALS_SECRET: 'from-env',
      ASTARTE_PAIRING_JWT: 'jwt-env',
    })
    assert.equal(options.storeDir, join(dir, 'state'))
    assert.equal(options.caFile, join(dir, 'ca.pem'))
    assert.deepEqual(options.interfaces, [join(dir, 'interfaces'), '/abs/iface.json'])
    assert.equal(options.credentialsSecret, 'from-env')
    assert.equal(options.pairingJwt, 'jwt-env')
  })
})

test('maxPayloadBytes and maxInflight from the file reach the options', async () => {
  await withConfig({ ...minimal, maxPayloadBytes: 16_384, maxInflight: 50 }, async (file) => {
    const options = await loadDeviceConfig(file, {})
    assert.equal(options.maxPayloadBytes, 16_384)
    assert.equal(options.maxInflight, 50)
  })
})

test('the environment wins over the file (flag > environment > file > default)', async () => {
  await withConfig({ ...minimal, credentialsSecret: 'in-file' }, async (file) => {
    const options = await loadDeviceConfig(file, { ASTARTE_CREDENTIALS_SECRET: 'from-env' })
    assert.equal(options.credentialsSecret, 'from-env')
    assert.equal((await loadDeviceConfig(file, {})).credentialsSecret, 'in-file')
  })
})

test('invalid configs are refused with issues naming each key', async () => {
  const issues = checkDeviceConfig({
    realm: 3,
    pairingUrl: 'x',
    interfaces: 'dir',
    storeDir: 's',
    colour: 'red',
    keyAlgorithm: 'dsa',
    backoff: { minMs: 10, maxMs: 1 },
    maxPayloadBytes: 0,
    maxInflight: 1.5,
  })
  assert.deepEqual(issues.map((i) => `${i.code} ${i.path}`).sort(), [
    'config_field_type /backoff',
    'config_field_type /interfaces',
    'config_field_type /keyAlgorithm',
    'config_field_type /maxInflight',
    'config_field_type /maxPayloadBytes',
    'config_field_type /realm',
    'config_unknown_key /colour',
  ])
  assert.deepEqual(
    checkDeviceConfig({}).map((i) => i.path),
    ['/realm', '/pairingUrl', '/storeDir', '/interfaces'],
  )
  assert.equal(checkDeviceConfig([])[0]?.code, 'config_type')
})

test('loading a malformed or invalid file throws local.invalid_config naming the file', async () => {
  await withConfig('{not json', async (file) => {
    await assert.rejects(loadDeviceConfig(file, {}), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'local.invalid_config')
      assert.match(e.message, /^couldn't read the device config .*device\.json: not valid json/)
      return true
    })
  })
  await withConfig({ ...minimal, realm: '' }, async (file) => {
    await assert.rejects(loadDeviceConfig(file, {}), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.deepEqual(
        e.issues.map((i) => i.path),
        ['/realm'],
      )
      return true
    })
  })
})
