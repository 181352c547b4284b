/**
 * @module `bridge.toml`: the Astarte realm the MCUs join, where interfaces and device stores live,
 * and the serial ports. Every problem is reported with its key.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parse } from 'smol-toml'
import { SdkError } from '@astarte-ts/sdk-core'

export interface PortConfig {
  readonly path: string
  readonly baudRate: number
  /** The device id; when absent it is derived from the HELLO identity hint (UUIDv5). */
  readonly deviceId?: string
  readonly credentialsSecret?: string
}

export interface BridgeConfig {
  readonly realm: string
  readonly pairingUrl: string
  readonly interfacesDir: string
  readonly storeDir: string
  readonly caFile?: string
  /** Registers MCUs on their first HELLO (a JWT with the `a_pa` claim). */
  readonly pairingJwt?: string
  readonly metricsIntervalSeconds: number
  readonly ports: readonly PortConfig[]
}

function invalid(key: string, what: string): SdkError {
  return new SdkError('local.invalid_config', `couldn't read the bridge config: ${key} ${what}`, {
    ctx: { key },
  })
}

function str(o: Record<string, unknown>, key: string, at: string, required: true): string
function str(
  o: Record<string, unknown>,
  key: string,
  at: string,
  required: false,
): string | undefined
function str(
  o: Record<string, unknown>,
  key: string,
  at: string,
  required: boolean,
): string | undefined {
  const v = o[key]
  if (v === undefined && !required) return undefined
  if (typeof v !== 'string' || v === '') throw invalid(at + key, 'must be a non-empty string')
  return v
}

/** Checks parsed TOML; relative paths are taken from `baseDir`. */
export function checkBridgeConfig(raw: Record<string, unknown>, baseDir: string): BridgeConfig {
  const path = (p: string): string => resolve(baseDir, p)
  const ports = raw.port
  if (!Array.isArray(ports) || ports.length === 0)
    throw invalid('port', 'must list at least one [[port]]')
  const jwtFile = str(raw, 'pairing_jwt_file', '', false)
  const caFile = str(raw, 'ca_file', '', false)
  const interval = raw.metrics_interval_seconds ?? 60
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 0)
    throw invalid('metrics_interval_seconds', 'must be a non-negative integer')
  const seen = new Set<string>()
  return {
    realm: str(raw, 'realm', '', true),
    pairingUrl: str(raw, 'pairing_url', '', true),
    interfacesDir: path(str(raw, 'interfaces_dir', '', true)),
    storeDir: path(str(raw, 'store_dir', '', true)),
    ...(caFile === undefined ? {} : { caFile: path(caFile) }),
    ...(jwtFile === undefined ? {} : { pairingJwt: jwtFile }),
    metricsIntervalSeconds: interval,
    ports: ports.map((p: unknown, i): PortConfig => {
      if (typeof p !== 'object' || p === null) throw invalid(`port[${i}]`, 'must be a table')
      const o = p as Record<string, unknown>
      const at = `port[${i}].`
      const portPath = str(o, 'path', at, true)
      if (seen.has(portPath)) throw invalid(`${at}path`, `repeats ${portPath}`)
      seen.add(portPath)
      const baud = o.baud_rate ?? 115200
      if (typeof baud !== 'number' || !Number.isInteger(baud) || baud <= 0)
        throw invalid(`${at}baud_rate`, 'must be a positive integer')
      const deviceId = str(o, 'device_id', at, false)
      const secret = str(o, 'credentials_secret', at, false)
      return {
        path: portPath,
        baudRate: baud,
        ...(deviceId === undefined ? {} : { deviceId }),
        ...(secret === undefined ? {} : { credentialsSecret: secret }),
      }
    }),
  }
}

/** Reads and checks `bridge.toml`; the pairing JWT file, if any, is read now. */
export async function loadBridgeConfig(file: string): Promise<BridgeConfig> {
  let raw: Record<string, unknown>
  try {
    raw = parse(await readFile(file, 'utf8')) as Record<string, unknown>
  } catch (e) {
    throw new SdkError(
      'local.invalid_config',
      `couldn't read the bridge config ${file}: ${e instanceof Error ? e.message : String(e)}`,
    )
  }
  const config = checkBridgeConfig(raw, dirname(resolve(file)))
  if (config.pairingJwt === undefined) return config
  const jwt = (await readFile(resolve(dirname(resolve(file)), config.pairingJwt), 'utf8')).trim()
  return { ...config, pairingJwt: jwt }
}
