/**
 * `maxInflight` reaches the device: against Mosquitto over mutual TLS, `guaranteed` sends (QoS 1,
 * `discard`: each resolves on its PUBACK) started all at once never have more publishes awaiting
 * their PUBACK than the option says, and do fill that window; a window below 1 is refused when
 * the device opens.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SdkError } from '@astarte-ts/sdk-core'
import { Device } from '../../src/index.js'
import { tempDir } from '../helpers/tmp.js'
import { RESILIENCE, deviceOptions, newDeviceId } from '../faults/sandbox-env.js'
import { startMosquittoEnv } from '../interop/mosquitto-env.js'

const WINDOW = 7
const N = 2_000

test(`maxInflight ${WINDOW}: at most ${WINDOW} publishes await their ack, and the window fills`, async (t) => {
  const env = await startMosquittoEnv(t)
  const options = deviceOptions(env.pairing, tempDir(t, 'astarte-max-inflight-'))
  const device = await Device.open({ ...options, maxInflight: WINDOW })
  t.after(() => device.close())
  await device.connect({ signal: AbortSignal.timeout(30_000) })

  let peak = 0
  const sample = (): void => {
    peak = Math.max(peak, device.metrics().inflight)
  }
  const sends: Array<Promise<void>> = []
  for (let n = 0; n < N; n++) {
    sends.push(device.send(RESILIENCE, '/window/burst', n).then(sample))
    sample()
  }
  await Promise.all(sends)
  assert.equal(peak, WINDOW)
  const m = device.metrics()
  assert.deepEqual({ inflight: m.inflight, dropped: m.dropped }, { inflight: 0, dropped: 0 })
})

test('maxInflight 0 is refused when the device opens', async (t) => {
  await assert.rejects(
    Device.open({
      realm: 'test',
      pairingUrl: 'http://127.0.0.1:9/pairing',
      deviceId: newDeviceId(),
      credentialsSecret: 'c2VjcmV0',
      interfaces: [],
      storeDir: tempDir(t, 'astarte-max-inflight-'),
      logger: { log: () => undefined },
      maxInflight: 0,
    }),
    (e: unknown) => e instanceof SdkError && e.code === 'local.invalid_config',
  )
})
