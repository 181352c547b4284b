/** `astarte-device watch` spawned from sources: NDJSON of server data, clean exit on SIGINT. */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { fetchHttpClient, loadInterfaces, registerDevice } from '../../src/index.js'
import { cliBin, spawnTs } from './cli.js'
import {
  eventually,
  exampleInterfacesDir,
  startEnv,
  testInterfacesDir,
  type E2eEnv,
} from './helpers.js'

let env: E2eEnv
before(async () => {
  env = await startEnv()
})
after(async () => {
  await env?.stop()
})

test('watch prints server properties and datastreams as NDJSON and exits 0 on SIGINT', async () => {
  const deviceId = env.newDeviceId()
  const secret = await registerDevice({
    http: fetchHttpClient({}),
    pairingUrl: env.sandbox.pairingUrl,
    realm: env.sandbox.realm,
    jwt: env.sandbox.jwt,
    deviceId,
    // the realm must know the interfaces before the first connect to accept the property below
    interfaces: await loadInterfaces([exampleInterfacesDir, testInterfacesDir]),
  })
  // set before the device ever connects: it arrives with the emptyCache answer of the first sync
  const put = await env.api(
    'PUT',
    `devices/${deviceId}/interfaces/org.astarte-ts.examples.Settings/label`,
    'porch',
  )
  assert.equal(put.status, 200)
  const watch = spawnTs(
    cliBin,
    [
      'watch',
      '--pairing-url',
      env.sandbox.pairingUrl,
      '--realm',
      env.sandbox.realm,
      '--device-id',
      deviceId,
      '--interfaces',
      exampleInterfacesDir,
      '--interfaces',
      testInterfacesDir,
      '--store',
      join(env.tmp, `watch-${deviceId}`),
      '--ca',
      env.sandbox.caFile,
    ],
    { ASTARTE_CREDENTIALS_SECRET: secret },
  )
  watch.child.stdin.end()
  try {
    await eventually(
      'watch to connect',
      () => watch.out.stderr,
      (s) => s.includes('connected'),
      20_000,
    )
    await eventually(
      'the property from the first sync',
      () => watch.out.stdout,
      (s) => s.includes('porch'),
    )
    await env.api(
      'POST',
      `devices/${deviceId}/interfaces/org.astarte-ts.test.ServerValues/longinteger`,
      '123456789012345678',
    )
    await env.api('POST', `devices/${deviceId}/interfaces/org.astarte-ts.test.ServerObject/s1`, {
      level: 1,
      label: 'one',
    })
    await env.api('DELETE', `devices/${deviceId}/interfaces/org.astarte-ts.examples.Settings/label`)
    const lines = await eventually(
      'four NDJSON lines',
      () =>
        watch.out.stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as unknown),
      (l) => l.length >= 4,
    )
    assert.deepEqual(lines, [
      { interface: 'org.astarte-ts.examples.Settings', path: '/label', value: 'porch' },
      {
        interface: 'org.astarte-ts.test.ServerValues',
        path: '/longinteger',
        value: '123456789012345678',
      },
      {
        interface: 'org.astarte-ts.test.ServerObject',
        path: '/s1',
        value: { level: 1, label: 'one' },
      },
      { interface: 'org.astarte-ts.examples.Settings', path: '/label', unset: true },
    ])
  } finally {
    watch.child.kill('SIGINT')
  }
  assert.equal(await watch.exited, 0, watch.out.stderr)
  assert.ok(!watch.out.stderr.includes(secret))
})
