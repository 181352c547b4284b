/**
 * @module bench fleet-run: the fleet goal run — N virtual devices against Mosquitto with mutual
 * TLS, pairing from the sandbox. Writes `bench/results/fleet-<N>.json` (or `--out`).
 *
 * node --conditions=@astarte-ts/source --import tsx bench/src/fleet-run.ts \
 *   --devices 10000 [--rate 1] [--duration 60] [--ramp S] [--concurrency N] [--data DIR]
 *   [--connect-within S] [--prefix HWID_PREFIX] [--out FILE]
 *
 * `--data DIR` keeps the sandbox state and the credentials cache, so a re-run skips pairing.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from './broker/mosquitto.js'
import { describeMachine } from './machine.js'
import {
  cliRunner,
  processRss,
  repoRoot,
  runFleetProcess,
  startFleetEnv,
} from './fleet/fleet-env.js'

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1' },
    duration: { type: 'string', default: '60' },
    ramp: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    'connect-within': { type: 'string', default: '900' },
    // One prefix for every size: a smaller run on the same --data reuses a bigger one's devices.
    prefix: { type: 'string', default: 'bench' },
    data: { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
})

const devices = Number(values.devices)
const dataDir =
  values.data === undefined ? mkdtempSync(join(tmpdir(), 'fleet-run-')) : resolve(values.data)
mkdirSync(dataDir, { recursive: true })
const out = resolve(values.out ?? join(repoRoot, 'bench', 'results', `fleet-${devices}.json`))
const startedAt = new Date()
const log = (m: string): void => void process.stderr.write(`${m}\n`)

// The Pairing URL (so its port) must not change between runs on the same --data.
const portFile = join(dataDir, 'pairing-port')
const httpPort = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : await freePort()
writeFileSync(portFile, String(httpPort))

const runner = cliRunner(log)
const env = await startFleetEnv(dataDir, httpPort)
let mosquittoPeakRss = 0
const sampler = setInterval(() => {
  mosquittoPeakRss = Math.max(mosquittoPeakRss, processRss(env.mosquitto.pid))
}, 1000)
try {
  const extra = [
    ...['--devices', String(devices), '--rate', values.rate, '--duration', values.duration],
    ...['--concurrency', values.concurrency, '--prefix', values.prefix],
    ...['--connect-within', values['connect-within']],
    ...(values.ramp === undefined ? [] : ['--ramp', values.ramp]),
  ]
  const result = await runFleetProcess(env, runner, join(dataDir, 'cache'), extra, log)
  const report = {
    schema: 'astarte-ts-fleet/1',
    startedAt: startedAt.toISOString(),
    commandLine: ['node bench/src/fleet-run.ts', ...process.argv.slice(2)].join(' '),
    simulatorCommand: `astarte-fleet ${result.args.join(' ')}`,
    runner: runner.kind,
    machine: describeMachine(),
    broker: {
      // `mosquitto -h` prints its version first and exits non-zero.
      name: spawnSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0],
      tls: 'mutual, TLS 1.2, EC P-256 certificates from the sandbox CA',
      peakRssBytes: mosquittoPeakRss,
    },
    goal: { devices: 10_000, ratePerDevice: 1, acknowledgedRatio: 1, simulatorRssBytes: 2 ** 30 },
    exitCode: result.exitCode,
    summary: result.summary,
  }
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n')
  log(`wrote ${out}`)
  process.exitCode = result.exitCode ?? 1
} finally {
  clearInterval(sampler)
  await env.stop()
  if (values.data === undefined) rmSync(dataDir, { recursive: true, force: true })
}
