/**
 * @module bench fleet env: Mosquitto as the broker behind the sandbox's Pairing API — the
 * sandbox runs Pairing + CA only and reports Mosquitto's URL, and Mosquitto's server
 * certificate and client trust both come from the sandbox CA (sandbox README). The fleet
 * simulator (`astarte-fleet`, tools/fleet) runs as its own process, from the built `dist` when
 * the build succeeds.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { silentLogger, startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { freePort, startMosquitto, type Mosquitto } from '../broker/mosquitto.js'

export const repoRoot = new URL('../../..', import.meta.url).pathname
export const exampleInterfaces = join(repoRoot, 'interfaces', 'examples')

export interface FleetEnv {
  readonly sandbox: Sandbox
  readonly mosquitto: Mosquitto
  stop(): Promise<void>
}

/**
 * Sandbox (Pairing only) + Mosquitto with mutual TLS, both under `dir`. A fixed `httpPort`
 * keeps the Pairing URL, and so the fleet's credentials cache, valid across runs.
 */
export async function startFleetEnv(dir: string, httpPort = 0): Promise<FleetEnv> {
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const sandbox = await startSandbox({
    httpPort,
    broker: false,
    brokerUrl: `mqtts://127.0.0.1:${port}/`,
    dataDir: join(dir, 'sandbox'),
    interfacesDir: exampleInterfaces,
    logger: silentLogger,
  })
  try {
    const server = await sandbox.issueServerCertificate(['127.0.0.1', 'localhost'])
    const certFile = join(dir, 'mosquitto.crt')
    const keyFile = join(dir, 'mosquitto.key')
    writeFileSync(certFile, server.certPem)
    writeFileSync(keyFile, server.keyPem, { mode: 0o600 })
    chmodSync(keyFile, 0o600)
    const mosquitto = await startMosquitto({ dir, caFile: sandbox.caFile, certFile, keyFile, port })
    return {
      sandbox,
      mosquitto,
      async stop() {
        await mosquitto.stop()
        await sandbox.stop()
      },
    }
  } catch (e) {
    await sandbox.stop()
    throw e
  }
}

/** How the simulator process is started: built JS when possible (no compile cost, no loader). */
export interface Runner {
  readonly kind: 'dist' | 'tsx'
  readonly argv: readonly string[]
}

const builtPackages = ['sdk-core', 'runtimes/node', 'tools/fleet']

function newestMtime(dir: string): number {
  let newest = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const s = statSync(path)
    newest = Math.max(newest, s.isDirectory() ? newestMtime(path) : s.mtimeMs)
  }
  return newest
}

/** True when a source file is newer than its package's last `tsc -b` (or there was none). */
export function distIsStale(): boolean {
  return builtPackages.some((p) => {
    try {
      const built = statSync(join(repoRoot, p, 'tsconfig.build.tsbuildinfo')).mtimeMs
      return newestMtime(join(repoRoot, p, 'src')) > built
    } catch {
      return true
    }
  })
}

/**
 * The built `astarte-fleet`, after `npm run build` when `dist` is stale; tsx on the sources when
 * the build fails (another part of the tree may be mid-change), which the caller reports.
 */
export function cliRunner(log: (m: string) => void): Runner {
  const build = distIsStale()
    ? spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, encoding: 'utf8' })
    : { status: 0, stdout: '' }
  if (build.status === 0) {
    return { kind: 'dist', argv: [join(repoRoot, 'tools', 'fleet', 'bin', 'astarte-fleet.js')] }
  }
  log(`build failed, running astarte-fleet from sources with tsx: ${build.stdout.slice(-400)}`)
  return {
    kind: 'tsx',
    argv: [
      '--conditions=@astarte-ts/source',
      '--import',
      'tsx',
      join(repoRoot, 'tools', 'fleet', 'src', 'cli', 'run.ts'),
    ],
  }
}

export interface FleetProcessResult {
  readonly exitCode: number | null
  readonly summary: Record<string, unknown>
  /** The fleet arguments, JWT excluded (it travels in the environment). */
  readonly args: readonly string[]
  readonly stderrTail: string
}

/** Runs `astarte-fleet` against `env` with `extra` flags; resolves with its summary. */
export async function runFleetProcess(
  env: FleetEnv,
  runner: Runner,
  cacheDir: string,
  extra: readonly string[],
  onProgress: (line: string) => void,
): Promise<FleetProcessResult> {
  const args = [
    ...['--interfaces', exampleInterfaces, '--pairing-url', env.sandbox.pairingUrl],
    ...['--realm', env.sandbox.realm, '--ca', env.sandbox.caFile, '--cache', cacheDir],
    ...extra,
  ]
  const child = spawn(process.execPath, [...runner.argv, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ASTARTE_PAIRING_JWT: env.sandbox.jwt },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000)
    for (const line of d.toString().split('\n')) if (line !== '') onProgress(line)
  })
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve))
  let summary: Record<string, unknown>
  try {
    summary = JSON.parse(stdout) as Record<string, unknown>
  } catch {
    throw new Error(`couldn't read the fleet summary (exit ${exitCode}): ${stderr.slice(-1000)}`)
  }
  return { exitCode, summary, args, stderrTail: stderr.slice(-2000) }
}

/** Resident memory of a process from /proc (Linux), in bytes; 0 when unavailable. */
export function processRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kb === undefined ? 0 : Number(kb) * 1024
  } catch {
    return 0
  }
}
