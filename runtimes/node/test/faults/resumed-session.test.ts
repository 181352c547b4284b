/**
 * Fault: the network drops while `unique` (QoS 2) publishes are in flight — the broker has them,
 * their acknowledgements are held in a stalling proxy and lost with the connection. The device
 * reconnects on its persistent session (sessionPresent): nothing is lost, and nothing is ingested
 * twice, because the unfinished QoS 2 exchanges are completed with their original packet ids
 * ([MQTT-4.4.0-1]) rather than published anew.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startSandbox } from '@astarte-ts/sandbox'
import { Device } from '../../src/index.js'
import { ProxiedTransport, startSlowProxy } from '../helpers/slow-proxy.js'
import { tempDir } from '../helpers/tmp.js'
import {
  RESILIENCE,
  deviceOptions,
  drained,
  interfacesDir,
  quiet,
  sequenceReport,
  storedSequence,
  waitFor,
} from './sandbox-env.js'

const N = 50

test('connection lost with QoS 2 acks in flight: resumed session, each value exactly once', async (t) => {
  const tmp = tempDir(t, 'astarte-fault-resume-')
  const dataDir = join(tmp, 'sandbox')
  const sandbox = await startSandbox({ dataDir, interfacesDir, logger: quiet })
  t.after(() => sandbox.stop())
  const broker = new URL(sandbox.mqttUrl)
  const target = { host: broker.hostname, port: Number(broker.port) }
  const proxy = await startSlowProxy({ target })
  t.after(() => proxy.close())
  const options = deviceOptions(sandbox, join(tmp, 'store'))
  const transport = new ProxiedTransport(proxy)
  const device = await Device.open({ ...options, ports: { transport } })
  t.after(() => device.close())
  const sessions: boolean[] = []
  device.on('connected', (e) => sessions.push(e.sessionPresent === true))
  await device.connect({ signal: AbortSignal.timeout(20_000) })

  proxy.hold(true)
  for (let n = 0; n < N; n++) await device.send(RESILIENCE, '/resume/unique', n)
  const received = (): Promise<number[]> =>
    storedSequence(sandbox, options.deviceId, '/resume/unique')
  await waitFor('the broker to ingest them', received, (v) => v.length === N)
  assert.ok(device.metrics().inflight > 0, 'acknowledgements are held back')
  proxy.hold(false)
  proxy.cutAll()

  await waitFor('the device back online', () => device.state, (s) => s === 'online')
  await drained(device)
  assert.deepEqual(sessions, [false, true], 'the broker kept the session')
  assert.deepEqual(sequenceReport(await received(), N), { missing: [], repeated: [] })
})
