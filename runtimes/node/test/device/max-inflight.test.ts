/**
 * `maxInflight` reaches the device: against Mosquitto over mutual TLS, `guaranteed` sends (QoS 1,
 * `discard`: each resolves on its PUBACK) started all at once never have more publishes awaiting
 * their PUBACK than the option says, and do fill that window; a window below 1 is refused when
 * the device opens.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readlinkSync } from 'node:fs'
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

test('a window that is not an integer from 1 to 65535 is refused at open, the store left closed', async (t) => {
  const storeDir = tempDir(t, 'astarte-max-inflight-')
  for (const maxInflight of [0, 1.5, 65_536]) {
    await assert.rejects(
      Device.open({
        realm: 'test',
        pairingUrl: 'http://127.0.0.1:9/pairing',
        deviceId: newDeviceId(),
        credentialsSecret: 'c2VjcmV0',
        interfaces: [],
        storeDir,
        logger: { log: () => undefined },
        maxInflight,
      }),
      (e: unknown) =>
        e instanceof SdkError &&
        e.code === 'local.invalid_config' &&
        e.issues.some((i) => i.path === '/maxInflight'),
      `maxInflight ${maxInflight}`,
    )
  }
  const open = readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(storeDir)
    } catch {
      return false
    }
  })
  assert.deepEqual(open, [], 'no file of the refused devices stays open')
})
