/**
 * @module connection flags: the flags `astarte-device send` and `watch` share, turned into
 * `DeviceOptions`. Each setting comes from, in this order: its flag, the environment (the secrets
 * `ASTARTE_CREDENTIALS_SECRET` and `ASTARTE_PAIRING_JWT`, which keep them out of the process
 * list), the `--config` file, the default. The file `register --out` writes is such a file. The
 * store defaults to a persistent per-user folder: a throw-away store would make every run a first
 * boot (new certificate, which revokes the previous one, and an empty producer purge list, which
 * unsets the device's properties on the server — spec §3.4).
 */
import { constants } from 'node:fs'
import { access, readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import {
  SdkError,
  checkDeviceId,
  checkPairingUrl,
  checkRealm,
  type Issue,
  type Logger,
} from '@astarte-ts/sdk-core'
import { type FlagOptions } from '../cli/parse-flags.js'
import { UsageError } from '../cli/usage-error.js'
import { readDeviceConfigFile } from './config-file.js'
import type { DeviceOptions } from './options.js'

export const connectionFlagOptions = {
  config: { type: 'string' },
  'pairing-url': { type: 'string' },
  realm: { type: 'string' },
  'device-id': { type: 'string' },
  'credentials-secret': { type: 'string' },
  interfaces: { type: 'string', multiple: true },
  store: { type: 'string' },
  ca: { type: 'string' },
  'ignore-tls-errors': { type: 'boolean' },
} as const satisfies FlagOptions

export const connectionFlagsUsage =
  '(--config FILE | --pairing-url URL --realm R --device-id ID) --interfaces DIR... ' +
  '[--credentials-secret S] [--store DIR] [--ca FILE] [--ignore-tls-errors]\n' +
  '  each setting comes from its flag, else the environment, else --config FILE, else the default;\n' +
  '  FILE is JSON with the keys realm, pairingUrl, deviceId, credentialsSecret, interfaces,\n' +
  '  storeDir, caFile, … (relative paths against the file), e.g. the one `register --out` writes,\n' +
  '  or the credentials.json `provision` writes (its device, CA and node-store);\n' +
  '  the secret may come from env ASTARTE_CREDENTIALS_SECRET instead of --credentials-secret;\n' +
  `  --store defaults to ${defaultStoreDir()}`

export interface ConnectionFlags {
  readonly config?: string
  readonly 'pairing-url'?: string
  readonly realm?: string
  readonly 'device-id'?: string
  readonly 'credentials-secret'?: string
  readonly interfaces?: readonly string[]
  readonly store?: string
  readonly ca?: string
  readonly 'ignore-tls-errors'?: boolean
}

/** `$XDG_STATE_HOME/astarte-device`, else `~/.local/state/astarte-device`. */
export function defaultStoreDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const xdg = env.XDG_STATE_HOME
  return join(
    xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'state'),
    'astarte-device',
  )
}

const nonEmpty = (s: string | undefined): string | undefined =>
  s === undefined || s === '' ? undefined : s

/**
 * Builds device options from flags, environment, config file and defaults (in that order of
 * precedence). Throws a `UsageError` naming the flag (and config key) when a setting is missing,
 * `SdkError('local.invalid_config')` when the config file can't be used.
 */
export async function deviceOptionsFromFlags(
  flags: ConnectionFlags,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<DeviceOptions> {
  const base: Partial<DeviceOptions> =
    flags.config === undefined ? {} : await readDeviceConfigFile(flags.config, env)
  const secret =
    nonEmpty(flags['credentials-secret']) ??
    nonEmpty(env.ASTARTE_CREDENTIALS_SECRET) ??
    base.credentialsSecret
  const options = {
    ...base,
    logger,
    ...(flags['pairing-url'] === undefined ? {} : { pairingUrl: flags['pairing-url'] }),
    ...(flags.realm === undefined ? {} : { realm: flags.realm }),
    ...(flags['device-id'] === undefined ? {} : { deviceId: flags['device-id'] }),
    ...(secret === undefined ? {} : { credentialsSecret: secret }),
    ...(flags.interfaces === undefined
      ? {}
      : { interfaces: flags.interfaces.map((p) => resolve(p)) }),
    storeDir:
      flags.store === undefined ? (base.storeDir ?? defaultStoreDir(env)) : resolve(flags.store),
    // a bundle's caPem would otherwise win over the flag
    ...(flags.ca === undefined ? {} : { caFile: resolve(flags.ca), caPem: undefined }),
    ...(flags['ignore-tls-errors'] === true ? { ignoreTlsErrors: true } : {}),
  }
  for (const [key, flag] of [
    ['pairingUrl', '--pairing-url'],
    ['realm', '--realm'],
    ['interfaces', '--interfaces'],
  ] as const) {
    if (options[key] === undefined) {
      throw new UsageError(`${flag} is required (or "${key}" in the --config file)`)
    }
  }
  if (options.deviceId === undefined && options.hardwareId === undefined) {
    throw new UsageError('--device-id is required (or "deviceId" in the --config file)')
  }
  return options as DeviceOptions
}

/** Where a setting came from, for messages: the flag, or the config key. */
function origin(flag: string, key: string, fromFlag: boolean): string {
  return fromFlag ? flag : `"${key}" of the --config file`
}

/**
 * Checks what can be checked without the network: the Pairing URL, realm and device id syntax,
 * and that the CA file is a readable PEM. Throws
 * `SdkError('local.invalid_config')` naming the flag or config key and what to do.
 */
export async function checkConnectionOffline(
  options: DeviceOptions,
  flags: ConnectionFlags,
): Promise<void> {
  const problems: string[] = []
  const issues: Issue[] = []
  const url = options.pairingUrl
  const urlFrom = origin('--pairing-url', 'pairingUrl', flags['pairing-url'] !== undefined)
  if (checkPairingUrl(url).length > 0) {
    const guess = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? '' : `; did you mean http://${url} ?`
    problems.push(`${urlFrom} '${url}' is not an absolute http:// or https:// URL${guess}`)
    issues.push(...checkPairingUrl(url))
  }
  const realmFrom = origin('--realm', 'realm', flags.realm !== undefined)
  if (checkRealm(options.realm).length > 0) {
    problems.push(`${realmFrom} '${options.realm}' is not a realm name (a-z then a-z 0-9)`)
    issues.push(...checkRealm(options.realm))
  }
  if (options.deviceId !== undefined && checkDeviceId(options.deviceId).length > 0) {
    const from = origin('--device-id', 'deviceId', flags['device-id'] !== undefined)
    problems.push(
      `${from} '${options.deviceId}' is not a device id (22 characters of url-safe base64; ` +
        '`astarte-device id` makes one)',
    )
    issues.push(...checkDeviceId(options.deviceId))
  }
  const storeProblem = await storeDirProblem(options.storeDir)
  if (storeProblem !== undefined) {
    const from = origin('--store', 'storeDir', flags.store !== undefined)
    problems.push(`${from} ${options.storeDir}: ${storeProblem}`)
  }
  if (options.caFile !== undefined) {
    const from = origin('--ca', 'caFile', flags.ca !== undefined)
    const problem = await caFileProblem(options.caFile)
    if (problem !== undefined) problems.push(`${from} ${options.caFile}: ${problem}`)
  }
  if (problems.length > 0) {
    throw new SdkError(
      'local.invalid_config',
      `couldn't use the settings: ${problems.join('; ')}`,
      {
        issues,
      },
    )
  }
}

/**
 * Why the device can't keep its state in `dir`, or `undefined` when it can: `dir` is a writable
 * directory, or the closest existing folder above it is one (the device creates the rest).
 */
export async function storeDirProblem(dir: string): Promise<string | undefined> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    let isDir: boolean
    try {
      isDir = (await stat(at)).isDirectory()
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      // missing, or below a file: the first existing folder above tells
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(at) !== at) continue
      return `couldn't look at ${at} (${String((e as NodeJS.ErrnoException).code ?? e)})`
    }
    if (!isDir) {
      return at === resolve(dir) ? 'not a directory' : `can't be created: ${at} is not a directory`
    }
    try {
      await access(at, constants.W_OK | constants.X_OK)
      return undefined
    } catch {
      return at === resolve(dir) ? 'not writable' : `can't be created: ${at} is not writable`
    }
  }
}

/** Why a CA file can't be used, or `undefined` when it holds a PEM certificate. */
export async function caFileProblem(file: string): Promise<string | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'no such file'
    if (code === 'EACCES') return 'permission denied'
    if (code === 'EISDIR') return 'a directory, not a PEM file'
    return `couldn't read it (${String(code ?? e)})`
  }
  return text.includes('-----BEGIN CERTIFICATE-----')
    ? undefined
    : 'not a PEM certificate (no BEGIN CERTIFICATE line)'
}
