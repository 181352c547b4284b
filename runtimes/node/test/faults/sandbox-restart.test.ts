/**
 * Fault: the whole server side (sandbox process: broker, Pairing, AppEngine) is killed with
 * SIGKILL while the device streams `guaranteed` and `unique` data with `retention: stored`, then
 * started again on the same data dir and ports. The device rides it out (backoff, reconnect) and
 * resumes its MQTT session, which the sandbox keeps in SQLite: no full sync (spec §3.4), and the
 * QoS 2 exchanges in flight at the kill are completed with their packet ids ([MQTT-4.4.0-1]).
 * Nothing is lost (every value is read back through AppEngine) and every `unique` value is there
 * exactly once: the broker records a QoS 2 packet id in the transaction that ingests it, so a
 * re-sent PUBLISH it already ingested is acknowledged, not stored again.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Device } from '../../src/index.js'
import { tempDir } from '../helpers/tmp.js'
import {
  deviceOptions,
  drained,
  interfacesDir,
  sequenceReport,
  startStreaming,
  startSandboxProcess,
  storedSequence,
  waitFor,
} from './sandbox-env.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

test('sandbox killed and restarted while the device streams: 0 lost, unique exactly once, session resumed', async (t) => {
  const tmp = tempDir(t, 'astarte-fault-restart-')
  const dataDir = join(tmp, 'sandbox')
  const first = await startSandboxProcess(t, { dataDir, interfacesDir })
  const options = deviceOptions(first, join(tmp, 'store'))
  const device = await Device.open(options)
  t.after(() => device.close())
  const states: string[] = []
  device.on('stateChanged', ({ state }) => states.push(state))
  const sessions: boolean[] = []
  device.on('connected', ({ sessionPresent }) => sessions.push(sessionPresent === true))
  await device.connect({ signal: AbortSignal.timeout(30_000) })

  // one value per path every few milliseconds, whatever the connection is doing
  const streamer = startStreaming(device, 'restart', 3)

  const delivered = (): Promise<number[]> =>
    storedSequence(first, options.deviceId, '/restart/unique')
  await waitFor('data flowing', delivered, (v) => v.length > 50)
  const killed = await first.process.kill('SIGKILL')
  assert.equal(killed.signal, 'SIGKILL')
  const sentBeforeKill = streamer.sent()
  const up = (s: string): boolean => s === 'online' || s === 'syncing'
  await waitFor(
    'the device to notice',
    () => device.state,
    (s) => !up(s),
  )
  await sleep(500)

  const second = await startSandboxProcess(t, {
    dataDir,
    interfacesDir,
    httpPort: first.httpPort,
    mqttPort: first.mqttPort,
  })
  await waitFor(
    'the device back online',
    () => device.state,
    (s) => s === 'online',
  )
  const sentWhileDown = streamer.sent() - sentBeforeKill
  await sleep(500)
  const total = await streamer.stop()
  t.diagnostic(`${total} values per path; ${sentWhileDown} sent while down or reconnecting`)

  assert.deepEqual(streamer.failures, [], 'every send resolved (stored: on disk)')
  await drained(device)
  const unique = await storedSequence(second, options.deviceId, '/restart/unique')
  const { missing, repeated } = sequenceReport(unique, total)
  assert.deepEqual(missing, [], 'unique: nothing lost')
  assert.deepEqual(repeated, [], 'unique: nothing stored twice')
  assert.equal(unique.length, total)
  const guaranteed = await storedSequence(second, options.deviceId, '/restart/guaranteed')
  assert.deepEqual(sequenceReport(guaranteed, total).missing, [], 'guaranteed: at least once')
  assert.ok(sentWhileDown > 0, 'values were sent while the sandbox was down')
  assert.ok(states.includes('backoff'), `states: ${states.join(' → ')}`)
  assert.ok(device.metrics().reconnects >= 1)
  assert.deepEqual(sessions, [false, true], 'the session resumed after the restart')
  const syncs = states.filter((s) => s === 'syncing').length
  assert.equal(syncs, 1, `one full sync, at the first connect: ${states.join(' → ')}`)
})
