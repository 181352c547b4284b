/**
 * @module device config file: JSON with the keys of `DeviceOptions` (minus the programmatic
 * ones); relative paths are resolved against the file's directory; secrets may come from the
 * environment (`ASTARTE_CREDENTIALS_SECRET`, `ASTARTE_PAIRING_JWT`), which takes precedence over
 * the file (flag > environment > file > default), so they stay out of files. A credentials
 * bundle that `provision` wrote (`credentials.json`, `format` `astarte-ts.credentials/1`) is read
 * as a config too: the device it describes, its CA, and the Node store written beside it.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { SdkError, type Issue } from '@astarte-ts/sdk-core'
import { BUNDLE_FILES, BUNDLE_FORMAT, checkBundle } from '../provision/credentials-bundle.js'
import type { DeviceOptions } from './options.js'

type Field = 'string' | 'boolean' | 'number' | 'strings' | 'backoff' | 'storeLimits'

const fields: Readonly<Record<string, Field>> = {
  realm: 'string',
  pairingUrl: 'string',
  deviceId: 'string',
  hardwareId: 'string',
  namespace: 'string',
  credentialsSecret: 'string',
  pairingJwt: 'string',
  interfaces: 'strings',
  storeDir: 'string',
  caFile: 'string',
  ignoreTlsErrors: 'boolean',
  keepaliveSec: 'number',
  maxPayloadBytes: 'number',
  maxInflight: 'number',
  backoff: 'backoff',
  storeLimits: 'storeLimits',
  keyAlgorithm: 'string',
}
const pathFields = ['storeDir', 'caFile'] as const

function checkField(kind: Field, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string' && value !== ''
    case 'boolean':
      return typeof value === 'boolean'
    case 'number':
      return typeof value === 'number' && Number.isInteger(value) && value > 0
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
    case 'backoff': {
      const b = value as { minMs?: unknown; maxMs?: unknown } | null
      return (
        typeof b === 'object' &&
        b !== null &&
        typeof b.minMs === 'number' &&
        typeof b.maxMs === 'number' &&
        b.minMs > 0 &&
        b.maxMs >= b.minMs
      )
    }
    case 'storeLimits':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
  }
}

/** The keys a complete config needs (flags may supply them to the CLI instead). */
export const requiredConfigKeys = ['realm', 'pairingUrl', 'storeDir', 'interfaces'] as const

/**
 * Checks a parsed config document; issue paths are JSON Pointers into it. With `partial`, keys
 * may be missing (the CLI completes the file with flags and defaults).
 */
export function checkDeviceConfig(
  json: unknown,
  options: { readonly partial?: boolean } = {},
): readonly Issue[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return [{ code: 'config_type', path: '', message: 'the config must be a json object' }]
  }
  const issues: Issue[] = []
  for (const [key, value] of Object.entries(json)) {
    const kind = fields[key]
    if (kind === undefined) {
      issues.push({ code: 'config_unknown_key', path: `/${key}`, message: `unknown key '${key}'` })
    } else if (!checkField(kind, value)) {
      issues.push({
        code: 'config_field_type',
        path: `/${key}`,
        message: `'${key}' must be ${kind}`,
      })
    }
  }
  for (const key of options.partial === true ? [] : requiredConfigKeys) {
    if (!(key in json)) {
      issues.push({ code: 'config_missing_key', path: `/${key}`, message: `'${key}' is required` })
    }
  }
  const keyAlgorithm = (json as { keyAlgorithm?: unknown }).keyAlgorithm
  if (keyAlgorithm !== undefined && keyAlgorithm !== 'ec-p256' && keyAlgorithm !== 'rsa-2048') {
    issues.push({
      code: 'config_field_type',
      path: '/keyAlgorithm',
      message: "'keyAlgorithm' must be 'ec-p256' or 'rsa-2048'",
    })
  }
  return issues
}

function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES') return 'permission denied'
  if (code === 'EISDIR') return 'a directory, not a file'
  if (e instanceof SyntaxError) return `not valid json (${e.message})`
  return typeof code === 'string' ? code : String(e)
}

/**
 * Reads a device config file that may lack required keys: the CLI's `--config`, completed by
 * flags. Throws `SdkError('local.invalid_config')` naming the file, the cause and the issues.
 */
export async function readDeviceConfigFile(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { readonly partial?: boolean } = { partial: true },
): Promise<Partial<DeviceOptions>> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    throw new SdkError(
      'local.invalid_config',
      `couldn't read the device config ${file}: ${readFailure(e)}`,
      { ctx: { file }, cause: e },
    )
  }
  const doc =
    (json as { format?: unknown } | null)?.format === BUNDLE_FORMAT
      ? fromBundle(json, file, options)
      : checkedConfig(json, file, options)
  const secret = env.ASTARTE_CREDENTIALS_SECRET
  if (secret !== undefined && secret !== '') doc.credentialsSecret = secret
  const jwt = env.ASTARTE_PAIRING_JWT
  if (jwt !== undefined && jwt !== '') doc.pairingJwt = jwt
  return doc as Partial<DeviceOptions>
}

/**
 * The device a credentials bundle describes. Its store is the `node-store` directory beside it,
 * where `provision` put the key and certificate, so the device connects without making a key.
 * The interfaces are not in a bundle: they come from the flags.
 */
function fromBundle(
  json: unknown,
  file: string,
  options: { readonly partial?: boolean },
): Record<string, unknown> {
  const bundle = checkBundle(json, `couldn't use the credentials bundle ${file}`)
  if (options.partial !== true) {
    throw new SdkError(
      'local.invalid_config',
      `couldn't use the credentials bundle ${file} as a device config: a bundle names no interfaces; open the device with options (interfaces, and storeDir ${join(dirname(resolve(file)), BUNDLE_FILES.node)}) or use it as the CLI's --config with --interfaces`,
      { ctx: { file } },
    )
  }
  return {
    realm: bundle.realm,
    pairingUrl: bundle.pairingUrl,
    deviceId: bundle.deviceId,
    credentialsSecret: bundle.credentialsSecret,
    storeDir: join(dirname(resolve(file)), BUNDLE_FILES.node),
    ...(bundle.caPem === undefined ? {} : { caPem: bundle.caPem }),
  }
}

function checkedConfig(
  json: unknown,
  file: string,
  options: { readonly partial?: boolean },
): Record<string, unknown> {
  const issues = checkDeviceConfig(json, options)
  if (issues.length > 0) {
    const detail = issues.map((i) => i.message).join('; ')
    throw new SdkError(
      'local.invalid_config',
      `couldn't use the device config ${file}: ${detail}`,
      {
        ctx: { file },
        issues,
      },
    )
  }
  const base = dirname(resolve(file))
  const doc = { ...(json as Record<string, unknown>) }
  for (const key of pathFields) {
    const value = doc[key]
    if (typeof value === 'string') doc[key] = resolve(base, value)
  }
  if (Array.isArray(doc.interfaces)) {
    doc.interfaces = (doc.interfaces as string[]).map((p) => resolve(base, p))
  }
  return doc
}

/**
 * Reads a device config file. Throws `SdkError('local.invalid_config')` with the issues when the
 * file is not valid; the secrets in the environment take precedence over the file's.
 */
export async function loadDeviceConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<DeviceOptions> {
  return (await readDeviceConfigFile(file, env, { partial: false })) as DeviceOptions
}
