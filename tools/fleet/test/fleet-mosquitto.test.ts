/**
 * The fleet's MQTT sessions against Mosquitto with mutual TLS (sandbox Pairing-only, broker
 * certificate and client trust from the sandbox CA), through a loopback relay that can cut every
 * connection or hold the broker's bytes: a device resumes its session after a lost connection or
 * a silent broker and every message ends up acknowledged; a broker that refuses the devices'
 * certificates is reported as such.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { silentLogger, startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { startMosquitto, type Mosquitto } from '../../../runtimes/node/test/helpers/mosquitto.js'
import { startSlowProxy, type SlowProxy } from '../../../runtimes/node/test/helpers/slow-proxy.js'
import { interfacesDir, runFleetCli, type FleetRun, type Progress } from './helpers/fleet-cli.js'

const DEVICES = 5
const dir = mkdtempSync(join(tmpdir(), 'fleet-mosquitto-test-'))
let proxy: SlowProxy
let sandbox: Sandbox
let server: { certPem: string; keyPem: string }
let mosquitto: Mosquitto

before(async () => {
  proxy = await startSlowProxy()
  sandbox = await startSandbox({
    broker: false,
    brokerUrl: `mqtts://${proxy.host}:${proxy.port}/`,
    dataDir: join(dir, 'sandbox'),
    interfacesDir,
    logger: silentLogger,
  })
  server = await sandbox.issueServerCertificate(['127.0.0.1', 'localhost'])
  const sandboxCa = readFileSync(sandbox.caFile, 'utf8')
  mosquitto = await startMosquitto({ server, trustedCaPems: [sandboxCa] })
  proxy.setTarget({ host: mosquitto.host, port: mosquitto.port })
})

after(async () => {
  await proxy.close()
  await mosquitto.dispose()
  await sandbox.stop()
  rmSync(dir, { recursive: true, force: true })
})

interface Summary {
  readonly sent: number
  readonly acknowledged: number
  readonly errors: Readonly<Record<string, number>>
  readonly devices: { readonly connectedAtEnd: number }
}

function fleet(
  durationSec: number,
  extra: readonly string[],
  onProgress?: (p: Progress) => void,
): Promise<FleetRun> {
  const args = [
    ...['--devices', String(DEVICES), '--rate', '2', '--duration', String(durationSec)],
    ...['--ramp', '1', '--interfaces', interfacesDir, '--pairing-url', sandbox.pairingUrl],
    ...['--realm', sandbox.realm, '--cache', join(dir, 'cache'), '--ca', sandbox.caFile],
    ...extra,
  ]
  return runFleetCli(args, sandbox.jwt, onProgress)
}

/** Calls `act` once, at the first progress line where every device is in and sending. */
function onceStreaming(act: () => void): (p: Progress) => void {
  let done = false
  return (p) => {
    if (done || p.connected < DEVICES || p.sent === 0) return
    done = true
    act()
  }
}

test('every connection cut mid-stream: the sessions resume and every message is acknowledged', async () => {
  let cut = false
  const run = await fleet(
    10,
    [],
    onceStreaming(() => {
      cut = true
      proxy.cutAll()
    }),
  )
  const s = run.summary as unknown as Summary
  assert.ok(cut, run.stderr)
  assert.equal(run.code, 0, run.stderr)
  assert.equal(s.devices.connectedAtEnd, DEVICES)
  assert.equal(s.acknowledged, s.sent)
  assert.deepEqual(Object.keys(s.errors), ['remote.mqtt_connection_lost'], JSON.stringify(s.errors))
  assert.ok((s.errors['remote.mqtt_connection_lost'] ?? 0) >= DEVICES, JSON.stringify(s.errors))
})

test('a broker gone silent: keepalive ends the connections, and after it every message is acknowledged', async () => {
  let held = false
  const stream = onceStreaming(() => {
    held = true
    proxy.hold(true)
  })
  const run = await fleet(12, ['--keepalive', '2'], (p) => {
    stream(p)
    // Every device has given up on the silent connection: the broker speaks again.
    if (held && p.errors >= DEVICES) proxy.hold(false)
  })
  proxy.hold(false)
  const s = run.summary as unknown as Summary
  assert.ok(held, run.stderr)
  assert.equal(run.code, 0, run.stderr)
  assert.equal(s.acknowledged, s.sent)
  const timeouts = s.errors['remote.mqtt_keepalive_timeout'] ?? 0
  assert.ok(timeouts >= DEVICES, JSON.stringify(s.errors))
})

test("a broker that doesn't trust the devices' CA: remote.certificate_rejected, nothing sent", async () => {
  const untrusting = await startMosquitto({ server })
  proxy.setTarget({ host: untrusting.host, port: untrusting.port })
  try {
    const run = await fleet(1, ['--connect-within', '2', '--drain', '0'])
    const s = run.summary as unknown as Summary
    assert.equal(run.code, 1, run.stderr)
    assert.equal(s.sent, 0)
    const rejected = s.errors['remote.certificate_rejected'] ?? 0
    assert.ok(rejected >= DEVICES, JSON.stringify(s.errors))
  } finally {
    proxy.setTarget({ host: mosquitto.host, port: mosquitto.port })
    await untrusting.dispose()
  }
})
