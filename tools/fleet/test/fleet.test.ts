/**
 * The fleet simulator end to end: a real sandbox (Pairing + mutual-TLS broker + ingestion), the
 * `astarte-fleet` command as a child process, 20 devices × 2 s; every message sent must be
 * acknowledged, and a re-run must reuse the cached credentials.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { silentLogger, startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { interfacesDir, runFleetCli, type FleetRun } from './helpers/fleet-cli.js'

const dir = mkdtempSync(join(tmpdir(), 'fleet-test-'))
let sandbox: Sandbox

before(async () => {
  sandbox = await startSandbox({ interfacesDir, logger: silentLogger })
})

after(async () => {
  await sandbox.stop()
  rmSync(dir, { recursive: true, force: true })
})

function fleet(
  devices: number,
  durationSec: number,
  extra: readonly string[] = [],
): Promise<FleetRun> {
  const args = [
    ...['--devices', String(devices), '--rate', '2', '--duration', String(durationSec)],
    ...['--ramp', '1', '--interfaces', interfacesDir, '--pairing-url', sandbox.pairingUrl],
    ...['--realm', sandbox.realm, '--cache', join(dir, 'cache')],
    ...(extra.includes('--ca') ? extra : ['--ca', sandbox.caFile, ...extra]),
  ]
  return runFleetCli(args, sandbox.jwt)
}

test('20 devices × 2 s against the sandbox: every message acknowledged', async () => {
  const run = await fleet(20, 2)
  const s = run.summary as {
    devices: { requested: number; paired: number; peakConnected: number }
    sent: number
    acknowledged: number
    acknowledgedRatio: number
    errors: Record<string, number>
    latencyMs: { p50: number; p99: number; samples: number }
    pairing: { cached: number; fresh: number }
    rssBytes: { peak: number }
    target: { interface: string; qos: number }
  }
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(s.devices.requested, 20)
  assert.equal(s.devices.paired, 20)
  assert.equal(s.devices.peakConnected, 20)
  assert.equal(s.pairing.fresh, 20)
  // 20 devices × 2 msg/s × ≥ 2 s of sending each.
  assert.ok(s.sent >= 20 * 2 * 2 - 20, `sent ${s.sent}`)
  assert.equal(s.acknowledged, s.sent)
  assert.equal(s.acknowledgedRatio, 1)
  assert.deepEqual(s.errors, {})
  assert.ok(s.target.qos > 0, 'the chosen datastream is acknowledged by the broker')
  assert.equal(s.latencyMs.samples, s.sent)
  assert.ok(s.latencyMs.p50 > 0 && s.latencyMs.p99 >= s.latencyMs.p50)
  assert.ok(s.rssBytes.peak > 0)
  assert.match(run.stderr, /fleet: \d+s connected \d+\/20 sent \d+ acked \d+ errors 0/)
})

test('a re-run reuses the cached credentials and pairs nobody', async () => {
  const run = await fleet(20, 1)
  const s = run.summary as { pairing: { cached: number; fresh: number }; acknowledgedRatio: number }
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(s.pairing, { ...s.pairing, cached: 20, fresh: 0 })
  assert.equal(s.acknowledgedRatio, 1)
})

test('a broker certified by another CA is refused before anything is sent', async () => {
  const otherCa = join(dir, 'other-ca.pem')
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-subj', '/CN=not the sandbox', '-days', '1', '-keyout', join(dir, 'other-ca.key')],
      ...['-out', otherCa],
    ],
    { stdio: 'ignore' },
  )
  const run = await fleet(2, 1, ['--ca', otherCa, '--connect-within', '2', '--drain', '0'])
  const s = run.summary as { sent: number; errors: Record<string, number> }
  assert.equal(run.code, 1, run.stderr)
  assert.equal(s.sent, 0)
  assert.ok((s.errors['remote.broker_untrusted'] ?? 0) >= 2, JSON.stringify(s.errors))
})
