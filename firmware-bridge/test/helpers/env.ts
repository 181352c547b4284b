/**
 * The bridge's test harness: a sandbox (mutual TLS broker, Pairing, AppEngine) with the board's
 * interfaces installed, the pty relay that plays the serial line (and corrupts it on demand), a
 * bridge in this process or as its own process, and the TypeScript MCU peer on the relay's far end.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import type { Relay } from '../../src/index.js'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox } from '@astarte-ts/sandbox'
import { Bridge, type BridgeConfig, McuPeer, type McuPeerOptions } from '../../src/index.js'
import { eventually as waitFor } from '@astarte-ts/runtime-testing'

export { type Relay, type RelayOptions, startRelay } from '../../src/index.js'

export const quiet: Logger = { log: () => undefined }
const here = dirname(fileURLToPath(import.meta.url))
export const packageDir = join(here, '..', '..')
export const interfacesDir = join(packageDir, 'interfaces')
export const BOARD_INTERFACES = [
  'org.astarte-ts.bridge.Sensor:1:0',
  'org.astarte-ts.bridge.Status:1:0',
  'org.astarte-ts.bridge.Setpoint:1:0',
  'org.astarte-ts.bridge.Air:1:0',
]

export interface Env {
  readonly sandbox: Sandbox
  readonly tmp: string
  api(method: string, path: string, data?: unknown): Promise<{ status: number; data: unknown }>
  /** Datastream samples at `path` of `iface`, oldest first. */
  samples(
    deviceId: string,
    iface: string,
    path: string,
  ): Promise<{ value: unknown; timestamp: string }[]>
  stop(): Promise<void>
}

export async function startEnv(): Promise<Env> {
  const tmp = await mkdtemp(join(tmpdir(), 'astarte-bridge-'))
  const sandbox = await startSandbox({ logger: quiet, dataDir: join(tmp, 'sandbox') })
  await sandbox.installInterfaces(interfacesDir)
  const api: Env['api'] = (method, path, data) => sandbox.appEngine(method, path, data)
  return {
    sandbox,
    tmp,
    api,
    async samples(deviceId, iface, path) {
      const res = await api('GET', `devices/${deviceId}/interfaces/${iface}${path}?limit=100000`)
      if (res.status === 404) return []
      if (res.status !== 200)
        throw new Error(`GET ${iface}${path}: ${res.status} ${JSON.stringify(res.data)}`)
      return res.data as { value: unknown; timestamp: string }[]
    },
    async stop() {
      await sandbox.stop()
      await rm(tmp, { recursive: true, force: true })
    },
  }
}

/** The bridge config for `env` with one port (its device id given, or derived from HELLO). */
export function bridgeConfig(
  env: Env,
  port: string,
  storeDir: string,
  deviceId?: string,
): BridgeConfig {
  return {
    realm: env.sandbox.realm,
    pairingUrl: env.sandbox.pairingUrl,
    interfacesDir,
    storeDir,
    caFile: env.sandbox.caFile,
    pairingJwt: env.sandbox.jwt,
    metricsIntervalSeconds: 0,
    ports: [{ path: port, baudRate: 115200, ...(deviceId === undefined ? {} : { deviceId }) }],
  }
}

/** The TypeScript MCU on the relay's far end. */
export function mcuOn(
  relay: Relay,
  options: Omit<McuPeerOptions, 'write' | 'interfaces'> & { interfaces?: readonly string[] },
): McuPeer {
  const peer = new McuPeer({
    interfaces: BOARD_INTERFACES,
    ...options,
    write: (b) => relay.write(b),
  })
  relay.onData((b) => peer.receive(b))
  return peer
}

/** An in-process bridge on the relay's pty. */
export async function startBridge(
  env: Env,
  relay: Relay,
  storeDir?: string,
  deviceId?: string,
): Promise<Bridge> {
  const dir = storeDir ?? (await mkdtemp(join(env.tmp, 'store-')))
  return Bridge.start({
    config: bridgeConfig(env, relay.hostPath, dir, deviceId),
    logger: quiet,
    backoff: { minMs: 100, maxMs: 1000 },
  })
}

/** The bridge CLI as its own process (for SIGKILL). */
export async function spawnBridge(
  env: Env,
  relay: Relay,
  storeDir: string,
  deviceId?: string,
): Promise<ChildProcess> {
  const jwtFile = join(env.tmp, 'pairing.jwt')
  await writeFile(jwtFile, env.sandbox.jwt, { mode: 0o600 })
  const toml = [
    `realm = "${env.sandbox.realm}"`,
    `pairing_url = "${env.sandbox.pairingUrl}"`,
    `interfaces_dir = "${interfacesDir}"`,
    `store_dir = "${storeDir}"`,
    `ca_file = "${env.sandbox.caFile}"`,
    `pairing_jwt_file = "${jwtFile}"`,
    'metrics_interval_seconds = 0',
    '[[port]]',
    `path = "${relay.hostPath}"`,
    'baud_rate = 115200',
    ...(deviceId === undefined ? [] : [`device_id = "${deviceId}"`]),
  ].join('\n')
  const configFile = join(env.tmp, `bridge-${Date.now()}.toml`)
  await writeFile(configFile, toml + '\n')
  const child = spawn(
    process.execPath,
    [
      '--conditions=@astarte-ts/source',
      '--import',
      'tsx',
      join(packageDir, 'bin', 'astarte-bridge.js'),
      '--config',
      configFile,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: packageDir },
  )
  child.stderr!.on('data', () => undefined)
  return child
}

/** `eventually` with this suite's patience: a pty, an MCU and a bridge between the test and Astarte. */
export const eventually = <T>(
  what: string,
  poll: () => Promise<T> | T,
  ok: (value: T) => boolean,
  ms = 30_000,
): Promise<T> => waitFor(what, poll, ok, ms, 100)
