/**
 * @module astarte-agent CLI: `astarte-agent [--config FILE] [--log-level LEVEL]` runs the daemon,
 * `astarte-agent check-config FILE` validates a configuration. The only module of the agent that
 * wires the Node runtime: everything else programs against sdk-core's device API.
 * Exit codes: 0 done (a daemon stopped by SIGTERM/SIGINT, a valid configuration), 1 failure (an
 * invalid configuration, a device that can't run), 2 usage.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises'
import { defaultBackoff, Device, nodeTimers } from '@astarte-ts/runtime-node'
import { backoffDelayMs, SdkError, type Logger, type LogLevel } from '@astarte-ts/sdk-core'
import {
  CONFIG_SEARCH_PATH,
  loadConfig,
  type AgentConfig,
  type ConfigProblem,
} from '../config/index.js'
import { Agent } from '../core/agent.js'
import { agentFeatures } from '../core/features.js'
import { journalLogger, LOG_LEVELS } from '../core/logger.js'
import { packageInfo } from '../package-info.js'

/** The namespace of edgehog's `hardware-id-service`, so device ids match its derivation. */
export const EDGEHOG_HARDWARE_ID_NAMESPACE = 'f79ad91f-c638-4889-ae74-9d001a3b4cf8'

/** Where the hardware id is read when `device_id` is empty, in order. */
const HARDWARE_ID_FILES = ['/sys/class/dmi/id/board_serial', '/etc/machine-id']

const USAGE = `usage: astarte-agent [--config FILE] [--log-level LEVEL]
       astarte-agent check-config FILE
       astarte-agent --help | --version

Runs the Edgehog-compatible device agent until SIGTERM or SIGINT.

  -c, --config FILE     configuration (TOML); default: ./edgehog-config.toml, then
                        /etc/edgehog/config.toml (the first found); EDGEHOG_* variables
                        override its keys
  --log-level LEVEL     debug, info, warn or error; overrides [agent] log_level
  check-config FILE     prints every problem of FILE (EDGEHOG_* overrides applied) with its key
                        path; exit 0 valid, 1 invalid, 2 usage
  -h, --help            this text
  -v, --version         the agent's version

Exit codes: 0 stopped by a signal, 1 failure, 2 usage.
`

/** Where the CLI writes and what it runs in; the process's by default. */
export interface CliIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  /** Registers the shutdown signals; returns their removal. */
  readonly onSignal: (handler: (signal: string) => void) => () => void
}

const processIo: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  onSignal(handler) {
    const on = (signal: NodeJS.Signals): void => handler(signal)
    process.on('SIGTERM', on)
    process.on('SIGINT', on)
    return () => {
      process.off('SIGTERM', on)
      process.off('SIGINT', on)
    }
  },
}

/** The agent's package version. */
export function agentVersion(): string {
  return packageInfo().version
}

type Parsed =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'check'; file: string }
  | { kind: 'run'; config?: string; logLevel?: LogLevel }
  | { kind: 'usage'; message: string }

function parseArgs(argv: readonly string[]): Parsed {
  if (argv[0] === 'check-config') {
    const rest = argv.slice(1)
    if (rest.length === 1 && rest[0] !== undefined && !rest[0].startsWith('-'))
      return { kind: 'check', file: rest[0] }
    return { kind: 'usage', message: 'check-config takes exactly one FILE' }
  }
  let config: string | undefined
  let logLevel: LogLevel | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg]
    const value = (): string | undefined => inline ?? argv[++i]
    switch (flag) {
      case '-h':
      case '--help':
        return { kind: 'help' }
      case '-v':
      case '--version':
        return { kind: 'version' }
      case '-c':
      case '--config':
      case '--configuration-file': {
        const v = value()
        if (v === undefined || v === '') return { kind: 'usage', message: `${flag} needs a FILE` }
        config = v
        break
      }
      case '--log-level': {
        const v = value()
        if (!LOG_LEVELS.includes(v as LogLevel)) {
          return { kind: 'usage', message: `--log-level must be one of ${LOG_LEVELS.join(', ')}` }
        }
        logLevel = v as LogLevel
        break
      }
      default:
        return { kind: 'usage', message: `unknown argument ${JSON.stringify(arg)}` }
    }
  }
  return {
    kind: 'run',
    ...(config === undefined ? {} : { config }),
    ...(logLevel === undefined ? {} : { logLevel }),
  }
}

/** Problems that make a valid configuration one this agent can't run. */
export function unsupportedProblems(config: AgentConfig): ConfigProblem[] {
  if (config.astarteLibrary !== 'astarte-message-hub') return []
  return [
    {
      path: 'astarte_library',
      message: 'astarte-agent connects to Astarte directly: use "astarte-device-sdk"',
    },
  ]
}

const formatProblems = (source: string, problems: readonly ConfigProblem[]): string =>
  problems.map((p) => `${source}: ${p.path === '' ? '' : `${p.path}: `}${p.message}\n`).join('')

async function checkConfig(file: string, io: CliIo): Promise<number> {
  const { source, result } = await loadConfig({ path: file, env: io.env })
  const shown = source ?? file
  const problems = result.ok ? unsupportedProblems(result.config) : result.problems
  if (problems.length > 0) {
    io.stderr(formatProblems(shown, problems))
    io.stderr(`${shown}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`)
    return 1
  }
  io.stdout(`${shown}: ok\n`)
  return 0
}

async function hardwareId(): Promise<string | undefined> {
  for (const file of HARDWARE_ID_FILES) {
    try {
      const id = (await readFile(file, 'utf8')).trim()
      if (id !== '') return id
    } catch {
      // the next source
    }
  }
  return undefined
}

async function run(options: { config?: string; logLevel?: LogLevel }, io: CliIo): Promise<number> {
  const { source, result } = await loadConfig({
    ...(options.config === undefined ? {} : { path: options.config }),
    env: io.env,
  })
  const shown = source ?? 'the environment'
  const problems = result.ok ? unsupportedProblems(result.config) : result.problems
  if (!result.ok || problems.length > 0) {
    if (source === undefined) {
      // a first run from the wrong directory: say where the file was looked for
      io.stderr(
        `<3>no configuration file: none of ${CONFIG_SEARCH_PATH.join(', ')}; ` +
          'give one with --config FILE (the EDGEHOG_* variables alone leave these problems)\n',
      )
    }
    io.stderr(formatProblems(shown, problems).replace(/^(?=.)/gm, '<3>'))
    return 1
  }
  const config = result.config
  const logger = journalLogger({
    level: options.logLevel ?? config.agent.logLevel,
    write: io.stderr,
  })
  try {
    return await runAgent(config, source, logger, io)
  } catch (error) {
    logger.log('error', "couldn't run the agent", errorContext(error))
    return 1
  }
}

/** What to do about the failures whose message can't say it (it comes from the SDK). */
const HINTS: Readonly<Record<string, string>> = {
  'remote.device_already_registered':
    'the device is registered but its credentials secret is not in store_directory: give ' +
    'astarte_device_sdk.credentials_secret, or unregister the device in Astarte ' +
    '(astartectl pairing agent unregister) and start again',
}

/** An error as log context: its message and code, its cause's (a full disk says ENOSPC), a hint. */
function errorContext(error: unknown): Record<string, unknown> {
  const code = (error as { code?: unknown } | undefined)?.code
  const cause = error instanceof Error ? error.cause : undefined
  const hint = typeof code === 'string' ? HINTS[code] : undefined
  return {
    error: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
    ...(cause instanceof Error ? { cause: cause.message } : {}),
    ...(hint === undefined ? {} : { hint }),
  }
}

/**
 * Failures of a first-boot registration that may pass by themselves, as at a boot where the
 * network isn't up yet or the Pairing API restarts: no answer (refused, reset, unreachable, a name
 * not resolved yet, timed out), an answer asking to come back later (5xx, 429), or a server
 * certificate outside its validity period by this machine's clock (see {@link CLOCK_CODES}). Any
 * other (a JWT refused or expired, a device registered with another secret, a certificate from a
 * CA not trusted, or for another name) stays as it is however often it is asked.
 */
const NO_ANSWER: ReadonlySet<string> = new Set([
  'remote.connection_refused',
  'remote.connect_timeout',
  'remote.dns_failed',
  'remote.http_timeout',
  'remote.http_failed',
])

/**
 * A board without a battery-backed clock boots with the time of its image or of its last
 * shutdown until NTP answers, and a server's certificate expired today is renewed by its
 * operator: either way the check passes later without a change here, unlike a CA not trusted.
 */
const CLOCK_CODES: ReadonlySet<string> = new Set(['CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED'])

function mayPass(error: unknown): boolean {
  if (!(error instanceof SdkError)) return false
  const status = error.ctx['status']
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true
  const cause = (error.cause as { code?: unknown } | undefined)?.code
  if (error.code === 'remote.tls_untrusted') return CLOCK_CODES.has(String(cause))
  return NO_ANSWER.has(error.code)
}

/**
 * Opens the device. A first-boot registration that failed in a way that {@link mayPass} is tried
 * again after the device's own backoff (full jitter, the ceiling doubling from 1 s to 60 s), each
 * retry one warning with its wait and cause; any other failure rejects. Resolves `undefined` as
 * soon as `stopped` settles, during a request (abandoned through the open's signal) or a wait
 * alike.
 */
async function openDevice(
  open: (signal: AbortSignal) => Promise<Device>,
  logger: Logger,
  stopped: Promise<void>,
): Promise<Device | undefined> {
  const policy = { initialDelayMs: defaultBackoff.minMs, maxDelayMs: defaultBackoff.maxMs }
  const stop = new AbortController()
  void stopped.then(() => stop.abort())
  for (let attempt = 0; ; attempt++) {
    const opened = await open(stop.signal).then(
      (device) => ({ device }),
      (error: unknown) => ({ error }),
    )
    if ('device' in opened) {
      // opened as the stop came
      if (!stop.signal.aborted) return opened.device
      await opened.device.close()
      return undefined
    }
    // the registration the stop abandoned
    if (stop.signal.aborted) return undefined
    if (!mayPass(opened.error)) throw opened.error
    const inMs = backoffDelayMs(attempt, policy, Math.random)
    logger.log('warn', "couldn't register the device, retrying", {
      attempt: attempt + 1,
      inMs,
      ...errorContext(opened.error),
    })
    let timer: ReturnType<typeof setTimeout> | undefined
    const waited = await Promise.race([
      new Promise<boolean>((resolve) => (timer = setTimeout(resolve, inMs, true))),
      stopped.then(() => false),
    ])
    clearTimeout(timer)
    if (!waited) return undefined
  }
}

async function runAgent(
  config: AgentConfig,
  source: string | undefined,
  logger: Logger,
  io: CliIo,
): Promise<number> {
  const sdk = config.astarteDeviceSdk as NonNullable<AgentConfig['astarteDeviceSdk']>
  logger.log('info', 'astarte-agent starting', {
    version: agentVersion(),
    config: source ?? null,
    realm: sdk.realm,
    store: config.storeDirectory,
  })
  let stopSignal: string | undefined
  let failure: unknown
  let wake: () => void = () => undefined
  const ended = new Promise<void>((resolve) => (wake = resolve))
  // a signal during the opening (a first-boot registration can take a while) is kept for after
  const removeSignals = io.onSignal((signal) => {
    stopSignal ??= signal
    wake()
  })
  try {
    try {
      await mkdir(config.storeDirectory, { recursive: true, mode: 0o700 })
      // mkdir leaves an existing directory's mode as it was; the store holds credentials
      await chmod(config.storeDirectory, 0o700)
    } catch (error) {
      logger.log(
        'error',
        "couldn't prepare store_directory: it must be a directory the agent's user owns, or one it can create",
        { store: config.storeDirectory, ...errorContext(error) },
      )
      return 1
    }
    let caPem: string | undefined
    if (config.agent.caFile !== undefined) {
      try {
        caPem = await readFile(config.agent.caFile, 'utf8')
      } catch (error) {
        logger.log('error', "couldn't read agent.ca_file", {
          file: config.agent.caFile,
          ...errorContext(error),
        })
        return 1
      }
    }
    let identity: { deviceId: string } | { hardwareId: string; namespace: string }
    if (sdk.deviceId !== undefined) identity = { deviceId: sdk.deviceId }
    else {
      const id = await hardwareId()
      if (id === undefined) {
        logger.log('error', "couldn't find a device id: set astarte_device_sdk.device_id", {
          tried: HARDWARE_ID_FILES,
        })
        return 1
      }
      identity = { hardwareId: id, namespace: EDGEHOG_HARDWARE_ID_NAMESPACE }
    }
    const declared = await Agent.interfacesOf(agentFeatures(config))
    const device = await openDevice(
      (signal) =>
        Device.open(
          {
            realm: sdk.realm,
            pairingUrl: sdk.pairingUrl,
            ...identity,
            ...(sdk.credentialsSecret === undefined
              ? {}
              : { credentialsSecret: sdk.credentialsSecret }),
            ...(sdk.pairingToken === undefined ? {} : { pairingJwt: sdk.pairingToken }),
            interfaces: declared.interfaces,
            storeDir: config.storeDirectory,
            ...(caPem === undefined ? {} : { caPem }),
            ignoreTlsErrors: sdk.ignoreSsl,
            logger,
          },
          { signal },
        ),
      logger,
      ended,
    )
    if (device === undefined) {
      logger.log('info', 'stopping on signal', { signal: stopSignal })
      return 0
    }
    const agent = new Agent({
      device,
      features: declared,
      clock: { now: () => Date.now() },
      timers: nodeTimers,
      logger,
      stateDir: config.storeDirectory,
      deviceLogsWarnings: true,
      shutdownTimeoutMs: config.agent.shutdownTimeoutSeconds * 1000,
      onFatal: (error) => {
        failure = error
        wake()
      },
    })
    // a signal while the features start stops them where they are
    if (stopSignal === undefined) await Promise.race([agent.start(), ended])
    await ended
    if (stopSignal !== undefined) logger.log('info', 'stopping on signal', { signal: stopSignal })
    await agent.stop()
    return failure === undefined || stopSignal !== undefined ? 0 : 1
  } finally {
    removeSignals()
  }
}

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseArgs(argv)
  switch (parsed.kind) {
    case 'help':
      io.stdout(USAGE)
      return 0
    case 'version':
      io.stdout(`astarte-agent ${agentVersion()}\n`)
      return 0
    case 'usage':
      io.stderr(`astarte-agent: ${parsed.message}\n${USAGE}`)
      return 2
    case 'check':
      return checkConfig(parsed.file, io)
    case 'run':
      return run(parsed, io)
  }
}
