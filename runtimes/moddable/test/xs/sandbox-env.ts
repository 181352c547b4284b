/**
 * A sandbox (TLS broker, Pairing, AppEngine) with the example and test interfaces installed, and
 * devices provisioned for it at the factory (`provisionDevice`, as `astarte-device provision`):
 * their `Preference` values as Moddable would hold them.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compileInterface,
  parseInterfaceText,
  randomDeviceId,
  type CompiledInterface,
} from '@astarte-ts/sdk-core'
import { startSandbox, type Sandbox, type SandboxOptions } from '@astarte-ts/sandbox'
import {
  BUNDLE_FILES,
  nodeCryptoProvider,
  nodeHttpClient,
  provisionDevice,
} from '@astarte-ts/runtime-node'
import type { PreferenceValue, Preferences } from './host-services.js'
import { root } from './xs-device.js'
import { eventually as waitFor } from '@astarte-ts/runtime-testing'

const INTERFACE_DIRS = [
  join(root, 'interfaces/examples'),
  join(root, 'runtimes/node/test/e2e/interfaces'),
]

export interface SandboxEnv {
  readonly sandbox: Sandbox
  /** Every installed interface, compiled as `astarte-device interface compile` does. */
  readonly compiled: readonly CompiledInterface[]
  /** A device provisioned at the factory: its id and its `Preference` values. */
  provision(): Promise<{ deviceId: string; preferences: Preferences }>
  api(method: string, path: string, data?: unknown): Promise<{ status: number; data: unknown }>
  stop(): Promise<void>
}

export async function startSandboxEnv(
  options: Omit<SandboxOptions, 'dataDir'> = {},
): Promise<SandboxEnv> {
  const tmp = await mkdtemp(join(tmpdir(), 'astarte-moddable-'))
  const sandbox = await startSandbox({
    logger: { log: () => undefined },
    ...options,
    dataDir: join(tmp, 'sandbox'),
  })
  const compiled: CompiledInterface[] = []
  for (const dir of INTERFACE_DIRS) {
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json'))) {
      const text = await readFile(join(dir, name), 'utf8')
      const parsed = parseInterfaceText(text)
      if (!parsed.ok) throw new Error(`${name} is invalid`)
      compiled.push(compileInterface(parsed.value))
      const res = await fetch(`${sandbox.realmManagementUrl}/v1/${sandbox.realm}/interfaces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: JSON.parse(text) }),
      })
      if (res.status !== 201) throw new Error(`install ${name}: ${res.status}`)
    }
  }
  return {
    sandbox,
    compiled,
    async provision() {
      const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
      const outDir = join(tmp, 'factory')
      await provisionDevice({
        http: nodeHttpClient({ caPem: sandbox.caPem }),
        crypto: nodeCryptoProvider,
        pairingUrl: sandbox.pairingUrl,
        realm: sandbox.realm,
        jwt: () => sandbox.jwt,
        deviceId,
        outDir,
        caPem: sandbox.caPem,
      })
      const file = join(outDir, deviceId, BUNDLE_FILES.moddable)
      const form = JSON.parse(await readFile(file, 'utf8')) as {
        domain: string
        values: Record<string, PreferenceValue>
      }
      const preferences: Preferences = new Map([
        [form.domain, new Map(Object.entries(form.values))],
      ])
      return { deviceId, preferences }
    },
    api: (method, path, data) => sandbox.appEngine(method, path, data),
    async stop() {
      await sandbox.stop()
      await rm(tmp, { recursive: true, force: true })
    },
  }
}

/** `eventually` with this suite's patience: the XS engine between the test and Astarte. */
export const eventually = <T>(
  what: string,
  poll: () => Promise<T>,
  ok: (value: T) => boolean,
  ms = 20_000,
): Promise<T> => waitFor(what, poll, ok, ms, 100)
