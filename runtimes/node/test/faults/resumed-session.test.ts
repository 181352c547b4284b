/**
 * Fault: the network drops while `unique` (QoS 2) publishes are in flight — the broker has them,
 * their acknowledgements are held in a stalling proxy and lost with the connection. The device
 * reconnects on its persistent session (sessionPresent): nothing is lost, and nothing is ingested
 * twice, because the unfinished QoS 2 exchanges are completed with their original packet ids
 * ([MQTT-4.4.0-1]) rather than published anew. When the broker lost the session instead, what it
 * had acknowledged with PUBREC is not sent again.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
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

  await waitFor(
    'the device back online',
    () => device.state,
    (s) => s === 'online',
  )
  await drained(device)
  assert.deepEqual(sessions, [false, true], 'the broker kept the session')
  assert.deepEqual(sequenceReport(await received(), N), { missing: [], repeated: [] })
})

test('the broker acknowledged with PUBREC, then lost the session: those values are not sent again', async (t) => {
  const tmp = tempDir(t, 'astarte-fault-pubrec-')
  const dataDir = join(tmp, 'sandbox')
  const first = await startSandbox({ dataDir, interfacesDir, logger: quiet })
  let second: Sandbox | undefined
  t.after(async () => {
    await first.stop()
    await second?.stop()
  })
  const broker = new URL(first.mqttUrl)
  const target = { host: broker.hostname, port: Number(broker.port) }
  const proxy = await startSlowProxy({ target })
  t.after(() => proxy.close())
  const options = deviceOptions(first, join(tmp, 'store'))
  const transport = new ProxiedTransport(proxy)
  const device = await Device.open({ ...options, ports: { transport } })
  t.after(() => device.close())
  await device.connect({ signal: AbortSignal.timeout(20_000) })

  // PUBLISH reaches the broker, PUBREC reaches the device, its PUBREL never leaves the proxy
  proxy.hold(true)
  for (let n = 0; n < N; n++) await device.send(RESILIENCE, '/pubrec/unique', n)
  const received = (sandbox: Sandbox) => (): Promise<number[]> =>
    storedSequence(sandbox, options.deviceId, '/pubrec/unique')
  await waitFor('the broker to ingest them', received(first), (v) => v.length === N)
  proxy.holdUpstream(true)
  proxy.hold(false)
  await new Promise((r) => setTimeout(r, 500))
  assert.equal(device.metrics().inflight, N, 'every exchange waits for its PUBCOMP')

  // a restart forgets the sessions (sandbox README); ports and data stay
  await first.stop()
  proxy.cutAll()
  proxy.holdUpstream(false)
  const httpPort = Number(new URL(first.pairingUrl).port)
  const mqttPort = target.port
  second = await startSandbox({ dataDir, interfacesDir, logger: quiet, httpPort, mqttPort })
  const sessions: boolean[] = []
  device.on('connected', (e) => sessions.push(e.sessionPresent === true))
  await waitFor(
    'the device back online',
    () => device.state,
    (s) => s === 'online',
  )
  await drained(device)
  assert.deepEqual(sessions, [false])
  assert.deepEqual(sequenceReport(await received(second)(), N), { missing: [], repeated: [] })
})
