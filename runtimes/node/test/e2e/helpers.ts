/** Shared setup of the end-to-end suites: a real sandbox (TLS broker, Pairing, AppEngine). */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { randomDeviceId, type Logger, type MqttTransport } from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox, type SandboxOptions } from '@astarte-ts/sandbox'
import { Device, sessionTransport, type DeviceOptions } from '../../src/index.js'

export const here = new URL('.', import.meta.url).pathname
export const testInterfacesDir = join(here, 'interfaces')
/** Installed in the realm but not given to devices at open: added at run time. */
export const addedInterfacesDir = join(here, 'added')
export const exampleInterfacesDir = join(here, '..', '..', '..', '..', 'interfaces', 'examples')
export const quiet: Logger = { log: () => undefined }

export interface E2eEnv {
  readonly sandbox: Sandbox
  readonly tmp: string
  api(method: string, path: string, data?: unknown): Promise<{ status: number; data: unknown }>
  newDeviceId(): string
  storeDir(): Promise<string>
  stop(): Promise<void>
}

/** Starts a sandbox with the test and example interfaces installed. */
export async function startEnv(options: Omit<SandboxOptions, 'dataDir'> = {}): Promise<E2eEnv> {
  const tmp = await mkdtemp(join(tmpdir(), 'astarte-e2e-'))
  const sandbox = await startSandbox({ logger: quiet, ...options, dataDir: join(tmp, 'sandbox') })
  const env: E2eEnv = {
    sandbox,
    tmp,
    api: (method, path, data) => sandbox.appEngine(method, path, data),
    newDeviceId: () => randomDeviceId(new Uint8Array(randomBytes(16))),
    storeDir: () => mkdtemp(join(tmp, 'store-')),
    async stop() {
      await sandbox.stop()
      await rm(tmp, { recursive: true, force: true })
    },
  }
  for (const dir of [testInterfacesDir, addedInterfacesDir, exampleInterfacesDir]) {
    await sandbox.installInterfaces(dir)
  }
  return env
}

/** Opens a device registered on first boot with the sandbox JWT. */
export async function openDevice(
  env: E2eEnv,
  overrides: Partial<DeviceOptions> & { readonly deviceId?: string } = {},
): Promise<Device> {
  return Device.open({
    realm: env.sandbox.realm,
    pairingUrl: env.sandbox.pairingUrl,
    deviceId: overrides.deviceId ?? env.newDeviceId(),
    pairingJwt: env.sandbox.jwt,
    interfaces: [testInterfacesDir, exampleInterfacesDir],
    storeDir: overrides.storeDir ?? (await env.storeDir()),
    caPem: env.sandbox.caPem,
    logger: quiet,
    backoff: { minMs: 100, maxMs: 1000 },
    ...overrides,
    ports: { ...testTransport(), ...overrides.ports },
  })
}

/**
 * The transport the suites run on: MQTT.js's (the device default), or sdk-core's `MqttSession`
 * over `node:tls` when `ASTARTE_TEST_TRANSPORT=session` (see `session-transport.e2e.test.ts`).
 */
export function testTransport(): { readonly transport?: MqttTransport } {
  return process.env['ASTARTE_TEST_TRANSPORT'] === 'session'
    ? { transport: sessionTransport() }
    : {}
}

export { eventually, jsonSafe } from '@astarte-ts/runtime-testing'
