import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SdkError } from '@astarte-ts/sdk-core'
import {
  checkDeviceConfig,
  loadDeviceConfig,
  readDeviceConfigFile,
} from '../../src/config/config-file.js'
import { BUNDLE_FORMAT, type CredentialsBundle } from '../../src/provision/credentials-bundle.js'
import { createCa, issueClientCertificate } from '../helpers/pki.js'

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

test('a provisioning bundle is a config: its device, CA and the node-store beside it; a broken one is named', async () => {
  const ca = await createCa('bundle test ca')
  const deviceId = 'AJInS0w3VpWpuOqkXhgZdA'
  const issued = await issueClientCertificate(ca, `test/${deviceId}`, { lifetimeSec: 3600 })
  const bundle: CredentialsBundle = {
    format: BUNDLE_FORMAT,
    realm: 'test',
    pairingUrl: 'https://localhost/pairing',
    deviceId,
    credentialsSecret: 'c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1hcHBlYXI=',
    brokerUrl: 'mqtts://localhost:8883/',
    privateKeyPem: issued.privateKeyPem,
    csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nMA==\n-----END CERTIFICATE REQUEST-----\n',
    certificatePem: issued.certificatePem,
    caPem: ca.certPem,
  }
  await withConfig(bundle, async (file, dir) => {
    const options = await readDeviceConfigFile(file, {})
    assert.deepEqual(options, {
      realm: 'test',
      pairingUrl: 'https://localhost/pairing',
      deviceId,
      credentialsSecret: bundle.credentialsSecret,
      storeDir: join(dir, 'node-store'),
      caPem: ca.certPem,
    })
    assert.equal(
      (await readDeviceConfigFile(file, { ASTARTE_CREDENTIALS_SECRET: 'from-env' }))
        .credentialsSecret,
      'from-env',
    )
    // a whole config needs interfaces, which a bundle doesn't name
    await assert.rejects(loadDeviceConfig(file, {}), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'local.invalid_config')
      assert.match(e.message, /names no interfaces/)
      return true
    })
  })
  await withConfig({ ...bundle, deviceId: 'f0VMRgIBAQAAAAAAAAAAAA' }, async (file) => {
    await assert.rejects(readDeviceConfigFile(file, {}), (e: unknown) => {
      assert.ok(e instanceof SdkError)
      assert.equal(e.code, 'local.invalid_config')
      assert.ok(
        e.message.includes(`credentials bundle ${file}: the certificate is for 'test/${deviceId}'`),
        e.message,
      )
      assert.ok(!e.message.includes(bundle.credentialsSecret))
      return true
    })
  })
  await withConfig({ ...bundle, privateKeyPem: undefined }, async (file) => {
    await assert.rejects(readDeviceConfigFile(file, {}), /"privateKeyPem" is missing/)
  })
})
