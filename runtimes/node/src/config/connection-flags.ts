/**
 * @module connection flags: the flags `astarte-device send` and `watch` share, turned into
 * `DeviceOptions`. Secrets may come from env (`ASTARTE_CREDENTIALS_SECRET`) so they stay out of
 * the process list. The store defaults to a persistent per-user folder: a throw-away store would
 * make every run a first boot (new certificate, which revokes the previous one, and an empty
 * producer purge list, which unsets the device's properties on the server — spec §3.4).
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { SdkError, type Logger } from '@astarte-ts/sdk-core'
import { type FlagOptions } from '../cli/parse-flags.js'
import { UsageError } from '../cli/usage-error.js'
import { loadDeviceConfig } from './config-file.js'
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
  '(--config FILE | --pairing-url URL --realm R --device-id ID --interfaces DIR...) ' +
  '[--credentials-secret S] [--store DIR] [--ca FILE] [--ignore-tls-errors]\n' +
  '  the secret may be given in env ASTARTE_CREDENTIALS_SECRET instead of --credentials-secret;\n' +
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

/**
 * Builds device options from flags; returns the name of the first missing flag instead when
 * the flags are incomplete (the caller turns it into a usage error).
 */
export async function deviceOptionsFromFlags(
  flags: ConnectionFlags,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<DeviceOptions | { readonly missing: string }> {
  const base: Partial<DeviceOptions> =
    flags.config === undefined ? {} : await loadDeviceConfig(flags.config, env)
  const secret =
    flags['credentials-secret'] ?? base.credentialsSecret ?? env.ASTARTE_CREDENTIALS_SECRET
  const options = {
    ...base,
    logger,
    ...(flags['pairing-url'] === undefined ? {} : { pairingUrl: flags['pairing-url'] }),
    ...(flags.realm === undefined ? {} : { realm: flags.realm }),
    ...(flags['device-id'] === undefined ? {} : { deviceId: flags['device-id'] }),
    ...(secret === undefined || secret === '' ? {} : { credentialsSecret: secret }),
    ...(flags.interfaces === undefined
      ? {}
      : { interfaces: flags.interfaces.map((p) => resolve(p)) }),
    storeDir:
      flags.store === undefined ? (base.storeDir ?? defaultStoreDir(env)) : resolve(flags.store),
    ...(flags.ca === undefined ? {} : { caFile: resolve(flags.ca) }),
    ...(flags['ignore-tls-errors'] === true ? { ignoreTlsErrors: true } : {}),
  }
  for (const [key, flag] of [
    ['pairingUrl', '--pairing-url'],
    ['realm', '--realm'],
    ['interfaces', '--interfaces'],
  ] as const) {
    if (options[key] === undefined) return { missing: flag }
  }
  if (options.deviceId === undefined && options.hardwareId === undefined)
    return { missing: '--device-id' }
  return options as DeviceOptions
}

/** One line for stderr: `message [code]` for an `SdkError`, the message otherwise. */
export function describeError(e: unknown): string {
  if (e instanceof SdkError) return `${e.message} [${e.code}]`
  return e instanceof Error ? e.message : String(e)
}
