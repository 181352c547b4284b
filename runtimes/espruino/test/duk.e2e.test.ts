/**
 * The Espruino bundle (`dist/astarte-espruino.js` as `npm run build:esp32` makes it) run in
 * Duktape, an ES5 engine, behind a shim offering only Espruino's documented APIs, against the
 * sandbox: provisioned at the factory (the `espruino-storage.js` script run in the engine), it
 * connects from the stored credentials, syncs, sends at QoS 0, 1 and 2, receives a server-owned
 * property, and resumes its session after a connection lost with a QoS 2 exchange in flight.
 * Twice: with EC P-256 credentials from the EC sandbox, and as on Espruino 2v29, whose mbedTLS
 * has no ECDSA: the sandbox's RSA PKI, an RSA-2048 factory key, the host's TLS limited to the
 * RSA and DHE-RSA suites and RSA signatures, and every certificate checked to be RSA.
 */
import assert from 'node:assert/strict'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { ESPRUINO_2V29_TLS, type DukEngine } from './engine/duk-engine.js'
import {
  eventually,
  startEspruinoEnv,
  type EspruinoEnv,
  type EspruinoEnvOptions,
} from './engine/espruino-env.js'

const SENSORS = 'org.astarte-ts.espruino.Sensors'
const STATUS = 'org.astarte-ts.espruino.Status'
const SETPOINT = 'org.astarte-ts.espruino.Setpoint'
const PUBREC = 5

const VARIANTS: readonly { readonly name: string; readonly options: EspruinoEnvOptions }[] = [
  { name: 'EC PKI, EC P-256 key', options: {} },
  {
    name: "Espruino 2v29's TLS: RSA PKI, RSA-2048 key, no ECDSA",
    options: { pki: 'rsa', keyAlgorithm: 'rsa-2048', tls: ESPRUINO_2V29_TLS },
  },
]

const der = (b64: string): X509Certificate => new X509Certificate(Buffer.from(b64, 'base64'))

for (const variant of VARIANTS) {
  let env: EspruinoEnv
  let engine: DukEngine
  let deviceId: string
  const api = (method: string, path: string, data?: unknown) => env.api(method, path, data)

  /** The values of a datastream path, oldest first. */
  async function history(path: string): Promise<unknown[]> {
    const { status, data } = await api('GET', `devices/${deviceId}/interfaces/${SENSORS}${path}`)
    if (status === 404) return []
    assert.equal(status, 200, JSON.stringify(data))
    return (data as { value: unknown }[]).map((d) => d.value)
  }

  describe(
    `the Espruino bundle in Duktape against the sandbox (${variant.name})`,
    { timeout: 240_000 },
    () => {
      before(async () => {
        env = await startEspruinoEnv(variant.options)
        engine = env.engine
        deviceId = env.deviceId
      })

      after(async () => {
        await env?.stop()
      })

      const noEngineErrors = (): void => {
        assert.deepEqual(engine.uncaught, [], engine.diagnostics())
        assert.deepEqual(engine.stray, [], engine.diagnostics())
      }

      test('connects from the stored credentials and syncs: AppEngine sees its introspection', async () => {
        await engine.call('device.connect()')
        assert.equal(await engine.call('device.state'), 'online')
        const { data } = await api('GET', `devices/${deviceId}`)
        const info = data as {
          connected: boolean
          introspection: Record<string, { major: number }>
        }
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

      test("text as Espruino's 8-bit strings hold it, its UTF-8 bytes, arrives as that text both ways", async () => {
        const text = 'café 20 €, ok 👍'
        // what a literal of `text` is on Espruino: one character a byte
        const bytes = Buffer.from(text, 'utf8').toString('latin1')
        await engine.call(`device.setProperty('${STATUS}', '/name', ${JSON.stringify(bytes)})`)
        assert.equal(
          (
            await eventually(
              'the name in AppEngine',
              () => api('GET', `devices/${deviceId}/interfaces/${STATUS}/name`),
              (res) => res.data === text,
            )
          ).data,
          text,
        )
        const before = ((await engine.call('seen')) as unknown[]).length
        const res = await api('PUT', `devices/${deviceId}/interfaces/${SETPOINT}/label`, text)
        assert.ok(res.status < 300, `${res.status} ${JSON.stringify(res.data)}`)
        const seen = await eventually(
          'the label at the device',
          async () => (await engine.call('seen')) as unknown[][],
          (s) => s.length > before,
        )
        assert.deepEqual(seen.at(-1)?.slice(0, 2), [SETPOINT, '/label'])
        // the string's char codes, read in the engine (no text encoding on the way back)
        const codes = await engine.call(
          `seen[seen.length - 1][2].split('').map(function (c) { return c.charCodeAt(0) })`,
        )
        assert.deepEqual(codes, [...Buffer.from(text, 'utf8')])
        // a string that is not UTF-8 is refused at the device, with the value's code
        const refused = await engine.call(
          `device.setProperty('${STATUS}', '/name', '\\xc3(').then(function () { return 'sent' }, function (e) { return e.code })`,
        )
        assert.equal(refused, 'local.invalid_value')
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

      if (variant.options.tls === ESPRUINO_2V29_TLS) {
        test('every handshake: an RSA-authenticated suite, RSA keys, RSA signatures only', () => {
          assert.ok(engine.tlsSessions.length >= 2, 'the first connection and the resumed one')
          for (const session of engine.tlsSessions) {
            assert.match(session.cipher, /^TLS_(DHE_)?RSA_WITH_/)
            assert.ok(session.ca !== undefined)
            const ca = der(session.ca)
            // an RSA key verifies only RSA signatures: each certificate is RSA-signed by the CA
            for (const cert of [...session.peerChain.map(der), ca, der(session.cert)]) {
              assert.equal(cert.publicKey.asymmetricKeyType, 'rsa', cert.subject)
              assert.ok(cert.verify(ca.publicKey), `${cert.subject}: signed by the RSA CA`)
            }
            const key = createPrivateKey({
              key: Buffer.from(session.key, 'base64'),
              format: 'der',
              type: 'pkcs8',
            })
            assert.equal(key.asymmetricKeyType, 'rsa')
            assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048)
          }
        })
      }
    },
  )
}
