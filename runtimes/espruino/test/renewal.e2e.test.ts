/**
 * Renewal on Espruino, in Duktape against the sandbox: with 30 s certificates the device renews
 * ahead of expiry by sending the CSR stored at the factory again (no key is made on the chip),
 * keeps the new certificate in its Storage credentials file, and goes on sending with it.
 */
import assert from 'node:assert/strict'
import { createPublicKey, X509Certificate } from 'node:crypto'
import { after, before, test } from 'node:test'
import { eventually, startEspruinoEnv, type EspruinoEnv } from './engine/espruino-env.js'

const SENSORS = 'org.astarte-ts.espruino.Sensors'

let env: EspruinoEnv
const issued: string[] = []

before(async () => {
  // 30 s certificates backdated 60 s by the sandbox's CA: renewal falls a few seconds after issue
  env = await startEspruinoEnv({
    certLifetimeSec: 30,
    logger: {
      log: (_level, message, ctx) => {
        if (message === 'certificate issued') issued.push(String(ctx?.['deviceId']))
      },
    },
  })
})

after(async () => {
  await env?.stop()
})

test(
  'renews from the stored CSR, stores the new certificate, keeps sending',
  { timeout: 180_000 },
  async () => {
    const { engine, deviceId, provisioned } = env
    await engine.call('device.connect()')
    const count = (): number => issued.filter((d) => d === deviceId).length
    await eventually(
      'a renewed certificate',
      () => Promise.resolve(count()),
      (n) => n >= 2,
      90_000,
    )
    const stored = (await eventually(
      'the new certificate in Storage',
      () =>
        engine.call('require("Storage").readJSON("astarte.json")') as Promise<
          Record<string, string>
        >,
      (s) => s['certificatePem'] !== provisioned.certificatePem,
    )) as Record<string, string>
    assert.equal(stored['privateKeyPem'], provisioned.privateKeyPem, 'the factory key, kept')
    assert.equal(stored['csrPem'], provisioned.csrPem, 'the factory CSR, kept')
    const renewedKey = new X509Certificate(stored['certificatePem'] as string).publicKey
    const factoryKey = createPublicKey(provisioned.privateKeyPem)
    assert.ok(
      renewedKey
        .export({ format: 'der', type: 'spki' })
        .equals(factoryKey.export({ format: 'der', type: 'spki' })),
      'the renewed certificate certifies the factory key',
    )
    await eventually(
      'the device online',
      () => engine.call('device.state'),
      (s) => s === 'online',
    )
    await engine.call(`device.send('${SENSORS}', '/count', 99)`)
    await eventually(
      'the value sent with the renewed certificate',
      async () => (await env.api('GET', `devices/${deviceId}/interfaces/${SENSORS}/count`)).data,
      (d) => Array.isArray(d) && d.length === 1 && (d[0] as { value: unknown }).value === 99,
    )
    assert.deepEqual(engine.uncaught, [], engine.diagnostics())
  },
)
