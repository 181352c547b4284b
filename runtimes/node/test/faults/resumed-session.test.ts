/**
 * Fault: the network drops while `unique` (QoS 2) publishes are in flight — the broker has them,
 * their acknowledgements are held in a stalling proxy and lost with the connection. The device
 * reconnects on its persistent session (sessionPresent): nothing is lost, and nothing is ingested
 * twice, because the unfinished QoS 2 exchanges are completed with their original packet ids
 * ([MQTT-4.4.0-1]) rather than published anew. When the broker lost the session instead, what it
 * had acknowledged with PUBREC is not sent again.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { openSqlite } from '@astarte-ts/sqlite'
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

/** A device behind a proxy to a sandbox that `restart()` stops and starts again on its ports. */
async function restartableSandbox(t: TestContext, name: string) {
  const tmp = tempDir(t, `astarte-fault-${name}-`)
  const dataDir = join(tmp, 'sandbox')
  const first = await startSandbox({ dataDir, interfacesDir, logger: quiet })
  let second: Sandbox | undefined
  t.after(async () => {
    await first.stop()
    await second?.stop()
  })
  const broker = new URL(first.mqttUrl)
  const mqttPort = Number(broker.port)
  const proxy = await startSlowProxy({ target: { host: broker.hostname, port: mqttPort } })
  t.after(() => proxy.close())
  const options = deviceOptions(first, join(tmp, 'store'))
  const transport = new ProxiedTransport(proxy)
  const device = await Device.open({ ...options, ports: { transport } })
  t.after(() => device.close())
  const sessions: boolean[] = []
  device.on('connected', (e) => sessions.push(e.sessionPresent === true))
  const states: string[] = []
  device.on('stateChanged', ({ state }) => states.push(state))
  await device.connect({ signal: AbortSignal.timeout(20_000) })
  const httpPort = Number(new URL(first.pairingUrl).port)
  const received = (sandbox: Sandbox, path: string) => (): Promise<number[]> =>
    storedSequence(sandbox, options.deviceId, path)
  return {
    first,
    dataDir,
    proxy,
    device,
    sessions,
    states,
    received,
    /** Sends 0…N-1 on `path` with every acknowledgement held back, until the broker has them all. */
    async sendIngestedUnacked(path: string): Promise<void> {
      proxy.hold(true)
      for (let n = 0; n < N; n++) await device.send(RESILIENCE, path, n)
      await waitFor('the broker to ingest them', received(first, path), (v) => v.length === N)
    },
    async restart(): Promise<Sandbox> {
      second = await startSandbox({ dataDir, interfacesDir, logger: quiet, httpPort, mqttPort })
      return second
    },
    /** Waits for the device online again and its queue drained; what `sandbox` stored on `path`. */
    async backOnline(sandbox: Sandbox, path: string): Promise<number[]> {
      await waitFor(
        'the device back online',
        () => device.state,
        (s) => s === 'online',
      )
      await drained(device)
      return received(sandbox, path)()
    },
  }
}

test('acks held, the broker restarted while connect attempts fail: resumed session, each value exactly once', async (t) => {
  const { first, proxy, sessions, states, restart, backOnline, sendIngestedUnacked } =
    await restartableSandbox(t, 'attempts')
  // the broker ingests every value, no acknowledgement reaches the device
  await sendIngestedUnacked('/attempts/unique')
  await first.stop()
  proxy.cutAll()
  proxy.hold(false)
  // attempts without a CONNACK must keep the unfinished exchanges for the one that resumes
  const backoffs = (): number => states.filter((s) => s === 'backoff').length
  await waitFor('two failed connect attempts', backoffs, (n) => n >= 2)
  const stored = await backOnline(await restart(), '/attempts/unique')
  assert.deepEqual(sessions, [false, true], 'the restarted broker kept the session')
  assert.deepEqual(sequenceReport(stored, N), { missing: [], repeated: [] })
})

test('the broker acknowledged with PUBREC, then lost the session: those values are not sent again', async (t) => {
  const { first, dataDir, proxy, device, sessions, restart, backOnline, sendIngestedUnacked } =
    await restartableSandbox(t, 'pubrec')
  // PUBLISH reaches the broker, PUBREC reaches the device, its PUBREL never leaves the proxy
  await sendIngestedUnacked('/pubrec/unique')
  proxy.holdUpstream(true)
  proxy.hold(false)
  await new Promise((r) => setTimeout(r, 500))
  assert.equal(device.metrics().inflight, N, 'every exchange waits for its PUBCOMP')

  // a restart that forgets the sessions, as a broker without session persistence does: the
  // sandbox keeps them in SQLite (sandbox README), so its session tables are emptied in between;
  // ports and data stay
  await first.stop()
  forgetSessions(join(dataDir, 'sandbox.sqlite'))
  proxy.cutAll()
  proxy.holdUpstream(false)
  const stored = await backOnline(await restart(), '/pubrec/unique')
  assert.deepEqual(sessions, [false, false])
  assert.deepEqual(sequenceReport(stored, N), { missing: [], repeated: [] })
})

function forgetSessions(file: string): void {
  const db = openSqlite(file)
  try {
    db.exec('DELETE FROM mqtt_subscriptions; DELETE FROM mqtt_outgoing; DELETE FROM mqtt_incoming')
  } finally {
    db.close()
  }
}
