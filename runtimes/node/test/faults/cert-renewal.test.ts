/**
 * Fault: certificates that live 30 seconds (sandbox `certLifetimeSec: 30`). The device renews
 * ahead of expiry (spec §4.5: proactively, before `not_after`) while it streams, reconnects with
 * the new certificate at once, and never stops: no failed send, no `error`, nothing lost, and no
 * `unique` value twice across the reconnect (the broker session is resumed).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startSandbox } from '@astarte-ts/sandbox'
import { Device } from '../../src/index.js'
import { tempDir } from '../helpers/tmp.js'
import {
  RESILIENCE,
  deviceOptions,
  drained,
  interfacesDir,
  quiet,
  sequenceReport,
  startStreaming,
  storedSequence,
  waitFor,
} from './sandbox-env.js'

const LIFETIME_SEC = 30
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface SeenCertificate {
  readonly pem: string
  readonly validToMs: number
  readonly seenAtMs: number
}

test(`${LIFETIME_SEC}-second certificates are renewed while streaming; nothing lost`, async (t) => {
  const tmp = tempDir(t, 'astarte-fault-renewal-')
  // the broker's own certificate gets the same lifetime: the test stays within it
  const sandbox = await startSandbox({
    dataDir: join(tmp, 'sandbox'),
    interfacesDir,
    certLifetimeSec: LIFETIME_SEC,
    logger: quiet,
  })
  t.after(() => sandbox.stop())
  const options = deviceOptions(sandbox, join(tmp, 'store'))
  const device = await Device.open(options)
  t.after(() => device.close())
  const states: string[] = []
  const errors: unknown[] = []
  device.on('stateChanged', ({ state }) => states.push(state))
  device.on('error', (e) => errors.push(e))
  const sessions: boolean[] = []
  device.on('connected', (e) => sessions.push(e.sessionPresent === true))
  await device.connect({ signal: AbortSignal.timeout(20_000) })

  const certFile = join(options.storeDir, options.deviceId, 'device.crt')
  const certificates: SeenCertificate[] = []
  const watch = setInterval(() => {
    const pem = readFileSync(certFile, 'utf8')
    if (certificates.at(-1)?.pem === pem) return
    const validToMs = Date.parse(new X509Certificate(pem).validTo)
    certificates.push({ pem, validToMs, seenAtMs: Date.now() })
  }, 100)
  t.after(() => clearInterval(watch))

  const streamer = startStreaming(device, 'renewal', 10)
  // renewal at 75 % ± 5 % of the lifetime; the broker's own certificate expires with the sandbox's
  // 30 s, so the test waits for one renewal only and keeps streaming a little past it
  await waitFor(
    'a renewal',
    () => certificates.length,
    (n) => n >= 2,
    20_000,
  )
  await waitFor(
    'the device back online',
    () => device.state,
    (s) => s === 'online',
  )
  await sleep(1000)
  const total = await streamer.stop()
  clearInterval(watch)

  for (let i = 1; i < certificates.length; i++) {
    const previous = certificates[i - 1] as SeenCertificate
    const renewed = certificates[i] as SeenCertificate
    assert.ok(renewed.seenAtMs < previous.validToMs, `renewal ${i} came before the expiry`)
    assert.ok(renewed.validToMs > previous.validToMs)
  }
  assert.deepEqual(streamer.failures, [])
  assert.deepEqual(errors, [])
  assert.deepEqual(
    states.filter((s) => s === 'error' || s === 'idle' || s === 'closed'),
    [],
    `states: ${states.join(' → ')}`,
  )
  await drained(device)
  assert.equal(device.state, 'online')

  const guaranteed = await storedSequence(sandbox, options.deviceId, '/renewal/guaranteed')
  assert.deepEqual(sequenceReport(guaranteed, total).missing, [], 'guaranteed: nothing lost')
  const unique = await storedSequence(sandbox, options.deviceId, '/renewal/unique')
  // the renewal reconnect resumes the session: unfinished QoS 2 exchanges complete, none repeats
  assert.ok(sessions.slice(1).every(Boolean), 'the sessions were resumed')
  assert.deepEqual(sequenceReport(unique, total), { missing: [], repeated: [] }, 'unique: once')
  const renewals = certificates.length - 1
  t.diagnostic(`${total} values per path, ${renewals} renewals, sessionPresent ${sessions.join()}`)
})
