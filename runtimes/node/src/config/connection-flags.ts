/**
 * @module connection flags: the flags `astarte-device send` and `watch` share, turned into
 * `DeviceOptions`. Secrets may come from env (`ASTARTE_CREDENTIALS_SECRET`) so they stay out of
 * the process list. The store defaults to a persistent per-user folder: a throw-away store would
 * make every run a first boot (new certificate, which revokes the previous one, and an empty
 * producer purge list, which unsets the device's properties on the server — spec §3.4).
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { SdkError, type Logger } from '@astarte-ts/sdk-core'
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
} as const satisfies NonNullable<ParseArgsConfig['options']>

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

/**
 * Rewrites `--flag value` into `--flag=value` for the string flags of `options`, so values that
 * start with `-` are taken as values: one device id in 64 starts with `-` (base64url, spec §4.4),
 * and `parseArgs` would otherwise read it as an ambiguous option.
 */
export function attachFlagValues(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    const next = args[i + 1]
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined) {
      out.push(`${arg}=${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return out
}

type FlagOptions = NonNullable<ParseArgsConfig['options']>

/**
 * Parses a command's arguments strictly (values may start with `-`, see `attachFlagValues`);
 * bad or unknown flags throw a `UsageError` that carries the command's usage.
 */
export function parseFlags<O extends FlagOptions>(
  args: readonly string[],
  options: O,
  usage: string,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: attachFlagValues(args, options),
      options,
      strict: true,
      allowPositionals,
    })
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`)
  }
}

/** One line for stderr: `message [code]` for an `SdkError`, the message otherwise. */
export function describeError(e: unknown): string {
  if (e instanceof SdkError) return `${e.message} [${e.code}]`
  return e instanceof Error ? e.message : String(e)
}
