/**
 * `astarte-device` commands end by their deadline whatever the network does: the real bin as a
 * child process under `--expose-gc` with a collection every 20 ms (on Node 20 a collected
 * `AbortSignal.timeout` never fires), against a stopped sandbox, black-holed ports (TCP accepted,
 * never an answer), a missing CA and a wrong CA. Each run is bounded by its timeout plus a
 * generous 30 s for start-up and close: a check that it ends, not a speed test.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { cliBin, root } from './e2e/cli.js'
import { createCa } from './helpers/pki.js'

const examples = join(root, 'interfaces', 'examples')
const forceGc = join(root, 'runtimes', 'node', 'test', 'fixtures', 'force-gc.mjs')
const TIMEOUT_S = 4
/**
 * Start-up under tsx with a collection every 20 ms, the close grace and a loaded machine fit in
 * this (10 s was overrun at load 15). What is checked is that the run ends by the deadline's own
 * error rather than never: a deadline that did not fire would retry until killed.
 */
const SLACK_MS = 30_000

interface Run {
  readonly code: number | null
  readonly stderr: string
  readonly stdout: string
  readonly ms: number
}

/**
 * Runs the bin under forced collections; kills it past `boundMs` (the run then fails). With
 * `signalWhen`, sends SIGTERM once it holds (polled): a condition the bin reaches only after it
 * took the signal over, so that a slow start-up is not killed by the signal's default action.
 */
function runUnderGc(
  args: readonly string[],
  options: { env?: Record<string, string>; boundMs: number; signalWhen?: () => boolean },
): Promise<Run> {
  const started = performance.now()
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      forceGc,
      '--conditions=@astarte-ts/source',
      '--import',
      'tsx',
      cliBin,
      ...args,
    ],
    { cwd: root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const kill = setTimeout(() => child.kill('SIGKILL'), options.boundMs + 5000)
  const { signalWhen } = options
  const interrupt =
    signalWhen === undefined
      ? undefined
      : setInterval(() => {
          if (!signalWhen()) return
          clearInterval(interrupt)
          child.kill('SIGTERM')
        }, 50)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(kill)
      clearInterval(interrupt)
      resolve({ code, stdout, stderr, ms: performance.now() - started })
    })
  })
}

/** Exit 1 by the deadline, with its message and no stack trace. */
function assertTimedOut(r: Run, timeoutS: number, cause: RegExp): void {
  assert.ok(r.ms < timeoutS * 1000 + SLACK_MS, `ran ${Math.round(r.ms)} ms: ${r.stderr}`)
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, new RegExp(`couldn't finish within ${timeoutS} s \\(--timeout\\)`))
  assert.match(r.stderr, cause)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
}

/** A TCP server that accepts every connection and never sends a byte. */
async function blackHole(): Promise<{ server: Server; port: number; accepted: () => number }> {
  const sockets: Socket[] = []
  const server = createServer((s) => sockets.push(s))
  server.on('close', () => sockets.forEach((s) => s.destroy()))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { server, port: address.port, accepted: () => sockets.length }
}

const value = ['org.astarte-ts.examples.Telemetry', '/cpu/temperature', '41.5']
const at = ['--timestamp', '2026-11-22T10:00:00Z']

describe('astarte-device deadlines under forced garbage collection', () => {
  let tmp: string
  let sandbox: Sandbox
  let hole: Awaited<ReturnType<typeof blackHole>>
  let config: string

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'astarte-cli-deadline-'))
    sandbox = await startSandbox({
      dataDir: join(tmp, 'sandbox'),
      interfacesDir: examples,
      logger: { log: () => undefined },
    })
    hole = await blackHole()
    config = join(tmp, 'device.json')
    const registered = await runUnderGc(
      [
        'register',
        '--pairing-url',
        sandbox.pairingUrl,
        '--realm',
        sandbox.realm,
        '--hardware-id',
        'deadline-board',
        '--out',
        config,
      ],
      { env: { ASTARTE_PAIRING_JWT: sandbox.jwt }, boundMs: 60_000 },
    )
    assert.equal(registered.code, 0, registered.stderr)
  })
  after(async () => {
    hole?.server.close()
    await sandbox?.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  const send = (store: string, timeoutS: number, ...extra: string[]): string[] => [
    'send',
    '--config',
    config,
    '--interfaces',
    examples,
    '--store',
    join(tmp, store),
    '--timeout',
    String(timeoutS),
    ...extra,
    ...value,
    ...at,
  ]
  /** Long enough to pair and connect on a loaded machine: these runs must end well before it. */
  const ROOMY_S = 60

  test('a missing --ca ends at the first attempt (not at the deadline), naming the untrusted certificate and --ca', async () => {
    const r = await runUnderGc(send('no-ca', ROOMY_S), { boundMs: ROOMY_S * 1000 })
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /the broker's certificate is not trusted .*astarte-device --ca FILE/)
    assert.match(r.stderr, /\[remote\.tls_untrusted\]/)
    // ended by the failure, not by the deadline
    assert.doesNotMatch(r.stderr, /local\.timeout/)
    assert.doesNotMatch(r.stderr, /certificateRejected/)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  })

  test('a wrong --ca: the same, and nothing retried', async () => {
    const other = await createCa('not the sandbox CA')
    const ca = join(tmp, 'other-ca.pem')
    writeFileSync(ca, other.certPem)
    const r = await runUnderGc(send('wrong-ca', ROOMY_S, '--ca', ca), { boundMs: ROOMY_S * 1000 })
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /with the CA of .*other-ca\.pem \(--ca\), which did not sign it/)
    assert.match(
      r.stderr,
      /not trusted .*\[remote\.tls_untrusted, caused by remote\.tls_untrusted\]/,
    )
    assert.doesNotMatch(r.stderr, /retrying|local\.timeout/)
  })

  test('a sandbox that stopped: the deadline holds, with the refused connection as last failure', async () => {
    const ok = await runUnderGc(send('known', ROOMY_S, '--ca', sandbox.caFile), {
      boundMs: ROOMY_S * 1000,
    })
    assert.equal(ok.code, 0, ok.stderr)
    await sandbox.stop()
    // stored certificate and broker: the broker refuses, and so does Pairing
    const known = await runUnderGc(send('known', TIMEOUT_S, '--ca', sandbox.caFile), {
      boundMs: TIMEOUT_S * 1000 + SLACK_MS,
    })
    assertTimedOut(
      known,
      TIMEOUT_S,
      /connection was refused.*\[remote\.connection_refused\]; retrying/,
    )
    // a first boot: Pairing refuses the connection
    const fresh = await runUnderGc(send('fresh', TIMEOUT_S, '--ca', sandbox.caFile), {
      boundMs: TIMEOUT_S * 1000 + SLACK_MS,
    })
    assertTimedOut(
      fresh,
      TIMEOUT_S,
      /caused by remote\.pairing_unreachable, remote\.connection_refused/,
    )
  })

  test('a black-holed Pairing API: send and register end by their deadline', async () => {
    const pairingUrl = `http://127.0.0.1:${hole.port}/pairing`
    const r = await runUnderGc(send('hole-pairing', TIMEOUT_S, '--pairing-url', pairingUrl), {
      boundMs: TIMEOUT_S * 1000 + SLACK_MS,
    })
    assertTimedOut(r, TIMEOUT_S, /\[local\.timeout\]/)
    const reg = await runUnderGc(
      [
        'register',
        '--pairing-url',
        pairingUrl,
        '--realm',
        'test',
        '--hardware-id',
        'x',
        '--timeout',
        String(TIMEOUT_S),
      ],
      { env: { ASTARTE_PAIRING_JWT: 'a.b.c' }, boundMs: TIMEOUT_S * 1000 + SLACK_MS },
    )
    assertTimedOut(reg, TIMEOUT_S, /\[local\.timeout\]/)
  })

  test('a black-holed broker (TLS never answered): send times out, watch stops on SIGTERM', async (t) => {
    const pairing = await startSandbox({
      dataDir: join(tmp, 'pairing-only'),
      broker: false,
      brokerUrl: `mqtts://127.0.0.1:${hole.port}/`,
      logger: { log: () => undefined },
    })
    t.after(() => pairing.stop())
    const flags = ['--pairing-url', pairing.pairingUrl, '--realm', pairing.realm]
    const env = { ASTARTE_PAIRING_JWT: pairing.jwt }
    const reg = join(tmp, 'hole-device.json')
    const registered = await runUnderGc(
      ['register', ...flags, '--hardware-id', 'hole-board', '--out', reg],
      { env, boundMs: 60_000 },
    )
    assert.equal(registered.code, 0, registered.stderr)
    const common = ['--config', reg, '--interfaces', examples, '--store', join(tmp, 'hole-broker')]
    const r = await runUnderGc(
      ['send', ...common, '--timeout', String(TIMEOUT_S), ...value, ...at],
      { boundMs: TIMEOUT_S * 1000 + SLACK_MS },
    )
    assertTimedOut(r, TIMEOUT_S, /\[local\.timeout\]/)
    // the signal once the watch reached the broker: past its start-up, which took SIGTERM over
    const before = hole.accepted()
    const watch = await runUnderGc(['watch', ...common], {
      boundMs: TIMEOUT_S * 1000 + SLACK_MS,
      signalWhen: () => hole.accepted() > before,
    })
    assert.ok(watch.ms < TIMEOUT_S * 1000 + SLACK_MS, `ran ${Math.round(watch.ms)} ms`)
    assert.equal(watch.code, 0, watch.stderr)
  })
})
