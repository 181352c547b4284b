/**
 * @module config loading: finds the file the way edgehog-device-runtime does (`--config`, then
 * `./edgehog-config.toml`, then `/etc/edgehog/config.toml`; the first found wins, none means
 * environment only), parses it as TOML 1.0, lays the `EDGEHOG_*` environment overrides on top
 * (edgehog-agent spec §10) and validates the result.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parse, TomlError } from 'smol-toml'
import type { ConfigProblem } from './types.js'
import { validateConfig, type ConfigResult } from './validate.js'

/** The file names tried after `--config`, in order. */
export const CONFIG_SEARCH_PATH: readonly string[] = [
  './edgehog-config.toml',
  '/etc/edgehog/config.toml',
]

/**
 * Environment variable → key path it overrides. edgehog-device-runtime's, then this agent's
 * (`ASTARTE_AGENT_LOG_LEVEL`).
 */
export const ENV_OVERRIDES: ReadonlyMap<string, readonly string[]> = new Map([
  ['EDGEHOG_INTERFACES_DIR', ['interfaces_directory']],
  ['EDGEHOG_STORE_DIR', ['store_directory']],
  ['EDGEHOG_REALM', ['astarte_device_sdk', 'realm']],
  ['EDGEHOG_DEVICE_ID', ['astarte_device_sdk', 'device_id']],
  ['EDGEHOG_CREDENTIALS_SECRET', ['astarte_device_sdk', 'credentials_secret']],
  ['EDGEHOG_PAIRING_TOKEN', ['astarte_device_sdk', 'pairing_token']],
  ['EDGEHOG_PAIRING_URL', ['astarte_device_sdk', 'pairing_url']],
  ['EDGEHOG_IGNORE_SSL', ['astarte_device_sdk', 'ignore_ssl']],
  ['EDGEHOG_MSGHUB_ENDPOINT', ['astarte_message_hub', 'endpoint']],
  ['EDGEHOG_SYSTEM_SERIAL_NUMBER', ['hardware', 'serial_number']],
  ['EDGEHOG_SYSTEM_PART_NUMBER', ['hardware', 'part_number']],
  ['EDGEHOG_IMAGE_ID', ['base_image', 'name']],
  ['EDGEHOG_IMAGE_VERSION', ['base_image', 'version']],
  ['ASTARTE_AGENT_LOG_LEVEL', ['agent', 'log_level']],
])

const BOOLEAN_OVERRIDES = new Set(['EDGEHOG_IGNORE_SSL'])

type Table = Record<string, unknown>

/**
 * Lays the environment's overrides on a parsed document (in place). Returns which key path each
 * variable set; empty variables are ignored, as unset ones.
 */
export function applyEnvOverrides(
  doc: Table,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const fromEnv = new Map<string, string>()
  for (const [name, path] of ENV_OVERRIDES) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    let table = doc
    for (const key of path.slice(0, -1)) {
      const next = table[key]
      if (typeof next !== 'object' || next === null || Array.isArray(next)) table[key] = {}
      table = table[key] as Table
    }
    let value: unknown = raw
    if (BOOLEAN_OVERRIDES.has(name)) {
      const lower = raw.toLowerCase()
      value =
        lower === 'true' || lower === '1' ? true : lower === 'false' || lower === '0' ? false : raw
    }
    table[path[path.length - 1] as string] = value
    fromEnv.set(path.join('.'), name)
  }
  return fromEnv
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** `--config FILE`: must exist when given. */
  readonly path?: string
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Where `./edgehog-config.toml` is looked for; the process's working directory by default. */
  readonly cwd?: string
  /** The file names tried when `path` is absent; {@link CONFIG_SEARCH_PATH} by default. */
  readonly searchPath?: readonly string[]
}

/** What {@link loadConfig} found: the file read (if any) and the validation's outcome. */
export interface LoadedConfig {
  readonly source?: string
  readonly result: ConfigResult
}

/** Parses TOML text; a syntax error is one problem at the whole file, with line and column. */
export function parseToml(
  text: string,
): { ok: true; doc: Table } | { ok: false; problem: ConfigProblem } {
  try {
    return { ok: true, doc: parse(text) as Table }
  } catch (error) {
    const message =
      error instanceof TomlError
        ? `invalid TOML at line ${error.line}, column ${error.column}: ${error.message.split('\n')[0] ?? ''}`
        : `invalid TOML: ${String(error)}`
    return { ok: false, problem: { path: '', message } }
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Finds, reads, parses and validates the configuration (see the module doc). */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  let source: string | undefined
  let text: string | undefined
  try {
    if (options.path !== undefined) {
      source = resolve(cwd, options.path)
      text = await readIfPresent(source)
      if (text === undefined) {
        return {
          source,
          result: {
            ok: false,
            problems: [{ path: '', message: `couldn't read ${source}: no such file` }],
          },
        }
      }
    } else {
      for (const candidate of options.searchPath ?? CONFIG_SEARCH_PATH) {
        source = resolve(cwd, candidate)
        text = await readIfPresent(source)
        if (text !== undefined) break
        source = undefined
      }
    }
  } catch (error) {
    const message = `couldn't read ${source ?? 'the configuration'}: ${(error as Error).message}`
    return {
      ...(source === undefined ? {} : { source }),
      result: { ok: false, problems: [{ path: '', message }] },
    }
  }
  let doc: Table = {}
  if (text !== undefined) {
    const parsed = parseToml(text)
    if (!parsed.ok)
      return {
        ...(source === undefined ? {} : { source }),
        result: { ok: false, problems: [parsed.problem] },
      }
    doc = parsed.doc
  }
  const fromEnv = applyEnvOverrides(doc, env)
  return { ...(source === undefined ? {} : { source }), result: validateConfig(doc, fromEnv) }
}
