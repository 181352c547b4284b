/**
 * @module config validation: a parsed TOML document (environment overrides applied) into an
 * `AgentConfig`, or every problem found, each with its key path. Unknown keys are problems, as in
 * edgehog-device-runtime (whose serde structs deny them): a misspelt key never silently falls
 * back to a default.
 */
import { isValidDeviceId } from '@astarte-ts/sdk-core'
import type {
  AgentConfig,
  AstarteDeviceSdkConfig,
  ConfigProblem,
  GpioConfig,
  LedConfig,
  OtaDirectoryConfig,
  SensorConfig,
  TelemetryEntryConfig,
} from './types.js'
import { checkEndpointIds, readGpio, readSensor } from './hardware-io.js'
import { LOG_LEVELS } from '../core/logger.js'
import type { FlowEntry } from '../dataflow/from-notation.js'
import { parseFlow } from '../dataflow/notation/parser.js'

type Table = Record<string, unknown>

/** Outcome of {@link validateConfig}. */
export type ConfigResult =
  | { readonly ok: true; readonly config: AgentConfig }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] }

const isTable = (v: unknown): v is Table =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)

const describeType = (v: unknown): string =>
  Array.isArray(v) ? 'an array' : isTable(v) ? 'a table' : v instanceof Date ? 'a date' : typeof v

/** Reads one table's keys, recording problems under its path; `done()` flags the keys left. */
export class Section {
  readonly #seen = new Set<string>()
  constructor(
    readonly table: Table,
    readonly path: string,
    readonly problems: ConfigProblem[],
    /** Key path → the environment variable that set it, for the messages. */
    readonly fromEnv: ReadonlyMap<string, string>,
  ) {}

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`
  }

  problem(key: string, message: string): undefined {
    const path = this.at(key)
    const env = this.fromEnv.get(path)
    this.problems.push({ path, message: env === undefined ? message : `${message} (from ${env})` })
    return undefined
  }

  raw(key: string): unknown {
    this.#seen.add(key)
    return this.table[key]
  }

  string(
    key: string,
    options: { required?: boolean; nonEmpty?: boolean } = {},
  ): string | undefined {
    const v = this.raw(key)
    if (v === undefined) {
      return options.required === true ? this.problem(key, 'required, missing') : undefined
    }
    if (typeof v !== 'string') return this.problem(key, `must be a string, not ${describeType(v)}`)
    if (options.nonEmpty === true && v === '') return this.problem(key, 'must not be empty')
    return v
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key)
    if (v === undefined) return undefined
    if (typeof v !== 'boolean')
      return this.problem(key, `must be a boolean, not ${describeType(v)}`)
    return v
  }

  integer(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.raw(key)
    if (v === undefined) return undefined
    const n = typeof v === 'bigint' ? Number(v) : v
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      return this.problem(key, `must be an integer, not ${describeType(v)}`)
    }
    if (n < min || n > max) return this.problem(key, `must be between ${min} and ${max}, not ${n}`)
    return n
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.string(key)
    if (v === undefined) return undefined
    if (!(values as readonly string[]).includes(v)) {
      return this.problem(
        key,
        `must be one of ${values.map((x) => `"${x}"`).join(', ')}, not "${v}"`,
      )
    }
    return v as T
  }

  table_(key: string): Section | undefined {
    const v = this.raw(key)
    if (v === undefined) return undefined
    if (!isTable(v)) return this.problem(key, `must be a table, not ${describeType(v)}`)
    return new Section(v, this.at(key), this.problems, this.fromEnv)
  }

  tables(key: string): Section[] {
    const v = this.raw(key)
    if (v === undefined) return []
    if (!Array.isArray(v)) {
      this.problem(key, `must be an array of tables ([[${this.at(key)}]]), not ${describeType(v)}`)
      return []
    }
    const out: Section[] = []
    v.forEach((item, i) => {
      const path = `${this.at(key)}[${i}]`
      if (isTable(item)) out.push(new Section(item, path, this.problems, this.fromEnv))
      else this.problems.push({ path, message: `must be a table, not ${describeType(item)}` })
    })
    return out
  }

  /** Flags every key not read: unknown to this agent and to edgehog-device-runtime. */
  done(): void {
    for (const key of Object.keys(this.table)) {
      if (!this.#seen.has(key)) this.problems.push({ path: this.at(key), message: 'unknown key' })
    }
  }
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

function readDeviceSdk(s: Section): AstarteDeviceSdkConfig | undefined {
  const realm = s.string('realm', { required: true, nonEmpty: true })
  const pairingUrl = s.string('pairing_url', { required: true, nonEmpty: true })
  if (pairingUrl !== undefined && !/^https?:\/\/[^/]/.test(pairingUrl)) {
    s.problem('pairing_url', `must be an http(s) URL, not "${pairingUrl}"`)
  } else if (pairingUrl !== undefined && /\/v1\/?$/.test(pairingUrl)) {
    // the API version is added to it (`<pairing_url>/v1/<realm>/…`): a copied /v1 doubles it
    s.problem('pairing_url', 'must be the Pairing API without /v1 (https://api.<host>/pairing)')
  }
  const deviceId = s.string('device_id')
  if (deviceId !== undefined && deviceId !== '' && !isValidDeviceId(deviceId)) {
    s.problem('device_id', 'must be 16 bytes in canonical url-safe base64 without padding')
  }
  // values never echoed: these are secrets
  const credentialsSecret = s.string('credentials_secret')
  const pairingToken = s.string('pairing_token')
  if (credentialsSecret && pairingToken) {
    s.problem('pairing_token', 'credentials_secret and pairing_token are mutually exclusive')
  }
  const ignoreSsl = s.boolean('ignore_ssl') ?? false
  s.done()
  if (realm === undefined || pairingUrl === undefined) return undefined
  return defined({
    realm,
    pairingUrl,
    deviceId: deviceId === '' ? undefined : deviceId,
    credentialsSecret: credentialsSecret === '' ? undefined : credentialsSecret,
    pairingToken: pairingToken === '' ? undefined : pairingToken,
    ignoreSsl,
  }) as AstarteDeviceSdkConfig
}

function readTelemetry(s: Section): TelemetryEntryConfig | undefined {
  const interfaceName = s.string('interface_name', { required: true, nonEmpty: true })
  const enabled = s.boolean('enabled')
  const period = s.integer('period', 0)
  s.done()
  if (interfaceName === undefined) return undefined
  return defined({ interfaceName, enabled, period }) as TelemetryEntryConfig
}

function readLed(s: Section): LedConfig | undefined {
  const id = s.string('id', { required: true, nonEmpty: true })
  const type = s.oneOf('type', ['sysfs', 'gpio', 'simulated'] as const)
  if (type === undefined && s.table['type'] === undefined) s.problem('type', 'required, missing')
  let led: LedConfig | undefined
  if (type === 'sysfs') {
    const name = s.string('name', { required: true, nonEmpty: true })
    if (name !== undefined && /[/\0]|^\.\.?$/.test(name)) {
      s.problem('name', `must be a LED name under /sys/class/leds, not "${name}"`)
    } else if (name !== undefined && id !== undefined) led = { id, type, name }
  } else if (type === 'gpio') {
    const line = s.integer('line', 0, 65_535)
    if (line === undefined && s.table['line'] === undefined) s.problem('line', 'required, missing')
    const activeLow = s.boolean('active_low') ?? false
    if (line !== undefined && id !== undefined) led = { id, type, line, activeLow }
  } else if (type === 'simulated' && id !== undefined) led = { id, type }
  s.done()
  return led
}

const FLOW_LIMITS = [
  ['buffer', 'buffer'],
  ['in_flight', 'inFlight'],
  ['read_batch', 'readBatch'],
  ['idle_ms', 'idleMs'],
  ['read_interval_ms', 'readIntervalMs'],
  ['drain_timeout_ms', 'drainTimeoutMs'],
] as const

/** One `[[flows]]` entry; the notation is parsed here, so a syntax error names its line and column. */
function readFlow(s: Section): FlowEntry | undefined {
  const name = s.string('name', { required: true, nonEmpty: true })
  const text = s.string('flow', { required: true, nonEmpty: true })
  if (text !== undefined) {
    try {
      parseFlow(text)
    } catch (e) {
      s.problem('flow', (e as Error).message)
    }
  }
  const source = s.string('source', { nonEmpty: true })
  const path = s.string('path', { nonEmpty: true })
  const reverse = s.string('reverse', { nonEmpty: true })
  const limits: Record<string, number> = {}
  for (const [key, field] of FLOW_LIMITS) {
    const n = s.integer(key, field === 'readIntervalMs' ? 0 : 1, 10_000_000)
    if (n !== undefined) limits[field] = n
  }
  const processors: Record<string, Record<string, number | string | boolean>> = {}
  const table = s.table_('processors')
  for (const processor of Object.keys(table?.table ?? {})) {
    const options = table?.table_(processor)
    if (options === undefined) continue
    const values: Record<string, number | string | boolean> = {}
    for (const key of Object.keys(options.table)) {
      const v = options.raw(key)
      const n = typeof v === 'bigint' ? Number(v) : v
      if (typeof n === 'number' || typeof n === 'string' || typeof n === 'boolean') values[key] = n
      else options.problem(key, `must be a number, a string or a boolean, not ${describeType(v)}`)
    }
    processors[processor] = values
  }
  table?.done()
  s.done()
  if (name === undefined || text === undefined) return undefined
  return defined({ name, flow: text, source, path, reverse, processors, limits }) as FlowEntry
}

/**
 * Validates a parsed document. `fromEnv` maps key paths to the environment variable that set
 * them, so a bad override is reported as such.
 */
export function validateConfig(
  doc: Table,
  fromEnv: ReadonlyMap<string, string> = new Map(),
): ConfigResult {
  const problems: ConfigProblem[] = []
  const root = new Section(doc, '', problems, fromEnv)

  const astarteLibrary =
    root.oneOf('astarte_library', ['astarte-device-sdk', 'astarte-message-hub'] as const) ??
    'astarte-device-sdk'
  const interfacesDirectory = root.string('interfaces_directory', { nonEmpty: true })
  const storeDirectory = root.string('store_directory', { required: true, nonEmpty: true })
  const downloadDirectory = root.string('download_directory', { nonEmpty: true })

  const sdkSection = root.table_('astarte_device_sdk')
  const astarteDeviceSdk = sdkSection === undefined ? undefined : readDeviceSdk(sdkSection)
  if (sdkSection === undefined && astarteLibrary === 'astarte-device-sdk') {
    root.problem('astarte_device_sdk', 'required when astarte_library is "astarte-device-sdk"')
  }
  const hubSection = root.table_('astarte_message_hub')
  let astarteMessageHub: { endpoint: string } | undefined
  if (hubSection !== undefined) {
    const endpoint = hubSection.string('endpoint', { required: true, nonEmpty: true })
    hubSection.done()
    if (endpoint !== undefined) astarteMessageHub = { endpoint }
  } else if (astarteLibrary === 'astarte-message-hub') {
    root.problem('astarte_message_hub', 'required when astarte_library is "astarte-message-hub"')
  }

  const telemetryConfig = root
    .tables('telemetry_config')
    .map(readTelemetry)
    .filter((t): t is TelemetryEntryConfig => t !== undefined)
  const seenTelemetry = new Map<string, number>()
  telemetryConfig.forEach((t, i) => {
    const first = seenTelemetry.get(t.interfaceName)
    if (first !== undefined) {
      problems.push({
        path: `telemetry_config[${i}].interface_name`,
        message: `${t.interfaceName} is already configured by telemetry_config[${first}]`,
      })
    } else seenTelemetry.set(t.interfaceName, i)
  })

  const ota = root.table_('ota')
  const otaEnabled = ota?.boolean('enabled') ?? true
  const reboot = ota?.oneOf('reboot', ['default', 'external'] as const) ?? 'default'
  const streaming = ota?.boolean('streaming') ?? false
  const adapter = ota?.oneOf('adapter', ['rauc', 'directory'] as const) ?? 'rauc'
  const rauc = ota?.table_('rauc')
  const dbusSocket = rauc?.oneOf('dbus_socket', ['system', 'session'] as const) ?? 'system'
  rauc?.done()
  const directorySection = ota?.table_('directory')
  let directory: OtaDirectoryConfig | undefined
  if (directorySection !== undefined) {
    const root = directorySection.string('root', { required: true, nonEmpty: true })
    const compatible = directorySection.string('compatible', { required: true, nonEmpty: true })
    const bootedFile = directorySection.string('booted_file', { nonEmpty: true })
    directorySection.done()
    if (root !== undefined && compatible !== undefined) {
      directory = defined({ root, compatible, bootedFile }) as OtaDirectoryConfig
    }
  } else if (adapter === 'directory' && otaEnabled) {
    ota?.problem('directory', 'required when adapter is "directory"')
  }
  ota?.done()

  const containers = root.table_('containers')
  const containersConfig = defined({
    enabled: containers?.boolean('enabled') ?? true,
    required: containers?.boolean('required') ?? false,
    maxRetries: containers?.integer('max_retries', 0),
  })
  containers?.done()

  const fileTransfer = root.table_('file_transfer')
  const storageDir = fileTransfer?.string('storage_dir', { nonEmpty: true })
  const fileTransferConfig = {
    enabled: fileTransfer?.boolean('enabled') ?? true,
    storageDir: storageDir ?? `${storeDirectory ?? ''}/file-store`,
    storageReserved: fileTransfer?.integer('storage_reserved', 0, 100) ?? 20,
  }
  fileTransfer?.done()

  const service = root.table_('service')
  const serviceEnabled = service?.boolean('enabled') ?? false
  const listenerSection = service?.table_('listener')
  let listener: { unix: string } | { socket: string } | undefined
  if (listenerSection !== undefined) {
    const unix = listenerSection.string('unix', { nonEmpty: true })
    const socket = listenerSection.string('socket', { nonEmpty: true })
    listenerSection.done()
    if ((unix === undefined) === (socket === undefined)) {
      service?.problem('listener', 'must have exactly one of unix or socket')
    } else listener = unix !== undefined ? { unix } : { socket: socket as string }
  }
  service?.done()

  const agent = root.table_('agent')
  const logLevel = agent?.oneOf('log_level', LOG_LEVELS) ?? 'info'
  const caFile = agent?.string('ca_file', { nonEmpty: true })
  const shutdownTimeoutSeconds = agent?.integer('shutdown_timeout_seconds', 0, 3600) ?? 10
  agent?.done()

  const hardware = root.table_('hardware')
  const serialNumber = hardware?.string('serial_number', { nonEmpty: true })
  const partNumber = hardware?.string('part_number', { nonEmpty: true })
  const leds = (hardware?.tables('leds') ?? [])
    .map(readLed)
    .filter((l): l is LedConfig => l !== undefined)
  const ledIds = new Set<string>()
  leds.forEach((led, i) => {
    if (ledIds.has(led.id)) {
      problems.push({ path: `hardware.leds[${i}].id`, message: `LED ${led.id} is declared twice` })
    }
    ledIds.add(led.id)
  })
  const sensors = (hardware?.tables('sensors') ?? [])
    .map(readSensor)
    .filter((x): x is SensorConfig => x !== undefined)
  const gpio = (hardware?.tables('gpio') ?? [])
    .map(readGpio)
    .filter((x): x is GpioConfig => x !== undefined)
  checkEndpointIds(sensors, gpio, problems)
  hardware?.done()

  const baseImage = root.table_('base_image')
  const imageName = baseImage?.string('name', { nonEmpty: true })
  const imageVersion = baseImage?.string('version', { nonEmpty: true })
  baseImage?.done()

  const rebootSection = root.table_('reboot')
  const rebootCommand = rebootSection?.raw('command')
  let command: readonly string[] = ['systemctl', 'reboot']
  if (rebootCommand !== undefined) {
    if (
      !Array.isArray(rebootCommand) ||
      rebootCommand.length === 0 ||
      !rebootCommand.every((a) => typeof a === 'string' && a !== '')
    ) {
      rebootSection?.problem('command', 'must be a non-empty array of non-empty strings (argv)')
    } else command = rebootCommand as string[]
  }
  rebootSection?.done()

  const flows = root
    .tables('flows')
    .map(readFlow)
    .filter((f): f is FlowEntry => f !== undefined)
  const flowNames = new Set<string>()
  flows.forEach((f, i) => {
    if (flowNames.has(f.name)) {
      problems.push({ path: `flows[${i}].name`, message: `flow ${f.name} is declared twice` })
    }
    flowNames.add(f.name)
  })
  const dataflow = root.table_('dataflow')
  const modules = dataflow?.raw('processor_modules')
  let processorModules: readonly string[] = []
  if (modules !== undefined) {
    if (!Array.isArray(modules) || !modules.every((m) => typeof m === 'string' && m !== '')) {
      dataflow?.problem('processor_modules', 'must be an array of non-empty paths')
    } else processorModules = modules as string[]
  }
  dataflow?.done()

  root.done()
  if (problems.length > 0 || storeDirectory === undefined) return { ok: false, problems }
  return {
    ok: true,
    config: defined({
      astarteLibrary,
      interfacesDirectory,
      storeDirectory,
      downloadDirectory: downloadDirectory ?? `${storeDirectory}/download`,
      astarteDeviceSdk,
      astarteMessageHub,
      telemetryConfig,
      ota: defined({
        enabled: otaEnabled,
        reboot,
        streaming,
        adapter,
        rauc: { dbusSocket },
        directory,
      }),
      containers: containersConfig,
      fileTransfer: fileTransferConfig,
      service: defined({ enabled: serviceEnabled, listener }),
      agent: defined({ logLevel, caFile, shutdownTimeoutSeconds }),
      hardware: defined({
        serialNumber,
        partNumber,
        leds,
        sensors: sensors.length > 0 ? sensors : undefined,
        gpio: gpio.length > 0 ? gpio : undefined,
      }),
      baseImage: defined({ name: imageName, version: imageVersion }),
      reboot: { command },
      flows,
      processorModules,
    }) as AgentConfig,
  }
}
