/**
 * One Espruino device against a fresh sandbox, as a factory and a board would set it up: the
 * test interfaces installed and compiled, the device provisioned on the host
 * (`provisionDevice`), the bundle started in Duktape, the provisioning script run in it, and the
 * device opened from the stored credentials as `device` (with `seen`, `sessions`, `losses`
 * recording its data, connections and losses).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileInterface, parseInterface, randomDeviceId, type Logger } from '@astarte-ts/sdk-core'
import { nodeCryptoProvider, nodeHttpClient, provisionDevice } from '@astarte-ts/runtime-node'
import { silentLogger, startSandbox, type PkiKind, type Sandbox } from '@astarte-ts/sandbox'
import type { KeyAlgorithm } from '@astarte-ts/sdk-core'
import { DukEngine, type EngineTls } from './duk-engine.js'
import { eventually as waitFor } from '@astarte-ts/runtime-testing'

const INTERFACES = new URL('../interfaces/', import.meta.url).pathname

/** The build script (plain JS, typed here by what the tests use). */
const build = (await import(new URL('../../scripts/build.mjs', import.meta.url).href)) as {
  buildEspruino(): Promise<{ code: string }>
}

export interface EspruinoEnv {
  readonly sandbox: Sandbox
  readonly engine: DukEngine
  readonly deviceId: string
  /** The credentials bundle the factory wrote (`credentials.json`). */
  readonly provisioned: {
    readonly privateKeyPem: string
    readonly csrPem: string
    readonly certificatePem: string
  }
  /** The installed interfaces, compiled. */
  readonly tables: readonly unknown[]
  api(method: string, path: string, data?: unknown): Promise<{ status: number; data: unknown }>
  stop(): Promise<void>
}

export interface EspruinoEnvOptions {
  readonly certLifetimeSec?: number
  readonly logger?: Logger
  /** Interfaces installed and compiled; default the test interfaces. */
  readonly interfacesDir?: string
  /** Scripts the engine loads after the bundle (board stand-ins). */
  readonly scripts?: readonly string[]
  /** Open `device` from the stored credentials; default true. */
  readonly open?: boolean
  /** The sandbox's PKI; default EC. */
  readonly pki?: PkiKind
  /** The device key made at the factory; default EC P-256. */
  readonly keyAlgorithm?: KeyAlgorithm
  /** The TLS the engine's host offers; default any suite, the broker verified. */
  readonly tls?: EngineTls
  /** Another broker (the sandbox then runs Pairing and its CA only), e.g. a Mosquitto. */
  readonly brokerUrl?: string
  /** Called once the sandbox runs, before the device is provisioned (to start that broker). */
  readonly beforeProvisioning?: (sandbox: Sandbox) => Promise<void>
}

/**
 * Engine code opening `device` from the stored credentials, recording in `seen` its data, in
 * `sessions` its connections, in `losses` its losses and in `warnings` its warnings' codes.
 */
export function openDeviceCode(tables: readonly unknown[]): string {
  return (
    `var seen = []; var device = Astarte.open({ interfaces: ${JSON.stringify(tables)}, ` +
    `logger: { log: function (level, message) { if (level !== 'debug') console.log(level + ' ' + message) } } });` +
    `device.on('data', function (m) { seen.push([m.interfaceName, m.path, m.value]) });` +
    `var sessions = []; device.on('connected', function (e) { sessions.push(e.sessionPresent) });` +
    `var losses = []; device.on('disconnected', function (e) { losses.push(e.error && e.error.code) });` +
    `var warnings = []; device.on('warning', function (w) { warnings.push(w.ctx.code) }); 0`
  )
}

export async function startEspruinoEnv(options: EspruinoEnvOptions = {}): Promise<EspruinoEnv> {
  const tmp = await mkdtemp(join(tmpdir(), 'astarte-espruino-'))
  const sandbox = await startSandbox({
    logger: options.logger ?? silentLogger,
    dataDir: join(tmp, 'sandbox'),
    ...(options.certLifetimeSec === undefined ? {} : { certLifetimeSec: options.certLifetimeSec }),
    ...(options.pki === undefined ? {} : { pki: options.pki }),
    ...(options.brokerUrl === undefined ? {} : { broker: false, brokerUrl: options.brokerUrl }),
  })
  let engine: DukEngine | undefined
  const stop = async (): Promise<void> => {
    await engine?.stop()
    await sandbox.stop()
    await rm(tmp, { recursive: true, force: true })
  }
  try {
    const tables: unknown[] = []
    const interfacesDir = options.interfacesDir ?? INTERFACES
    for (const name of await readdir(interfacesDir)) {
      const json: unknown = JSON.parse(await readFile(join(interfacesDir, name), 'utf8'))
      // Pairing alone (another broker) has no Realm Management: compiled only
      if (options.brokerUrl === undefined) {
        const res = await fetch(`${sandbox.realmManagementUrl}/v1/${sandbox.realm}/interfaces`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sandbox.jwt}`, 'content-type': 'application/json' },
          body: JSON.stringify({ data: json }),
        })
        assert.equal(res.status, 201, `install ${name}`)
      }
      const parsed = parseInterface(json)
      assert.ok(parsed.ok)
      tables.push(compileInterface(parsed.value))
    }
    await options.beforeProvisioning?.(sandbox)
    // the factory step, on the production host
    const deviceId = randomDeviceId(new Uint8Array(randomBytes(16)))
    const { dir } = await provisionDevice({
      http: nodeHttpClient({ caPem: sandbox.caPem, ignoreTlsErrors: false }),
      crypto: nodeCryptoProvider,
      pairingUrl: sandbox.pairingUrl,
      realm: sandbox.realm,
      jwt: () => sandbox.jwt,
      deviceId,
      outDir: join(tmp, 'factory'),
      caPem: sandbox.caPem,
      ...(options.keyAlgorithm === undefined ? {} : { keyAlgorithm: options.keyAlgorithm }),
    })
    const { code } = await build.buildEspruino()
    const bundle = join(tmp, 'astarte-espruino.js')
    await writeFile(bundle, code)
    engine = new DukEngine([bundle, ...(options.scripts ?? [])], options.tls)
    // the provisioning script, as the Espruino tools would send it once
    await engine.call(await readFile(join(dir, 'espruino-storage.js'), 'utf8'))
    if (options.open !== false) await engine.call(openDeviceCode(tables))
    const provisioned = JSON.parse(
      await readFile(join(dir, 'credentials.json'), 'utf8')
    ) as EspruinoEnv['provisioned']
    return {
      sandbox,
      engine,
      deviceId,
      provisioned,
      api: (method, path, data) => sandbox.appEngine(method, path, data),
      tables,
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/** `eventually` with this suite's patience: the ES5 engine between the test and Astarte. */
export const eventually = <T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 60_000
): Promise<T> => waitFor(what, read, ok, timeoutMs, 100)
