/**
 * @module `astarte-bridge --config bridge.toml`: runs the bridge until SIGTERM/SIGINT.
 * Exit codes: 0 stopped by a signal, 1 failure while running or starting, 2 bad usage or config.
 */
import { SdkError, type LogLevel } from '@astarte-ts/sdk-core'
import { consoleLogger } from '@astarte-ts/runtime-node'
import { Bridge } from '../bridge/bridge.js'
import { loadBridgeConfig } from '../bridge/config.js'
import { packageInfo } from '../package-info.js'

const USAGE = `usage: astarte-bridge --config <bridge.toml> [--log-level debug|info|warn|error]
       astarte-bridge --help | --version
Bridges microcontrollers on serial ports to Astarte (see PROTOCOL.md).`

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let configPath: string | undefined
  let level: LogLevel = 'info'
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n')
      return 0
    }
    if (a === '--version' || a === '-v') {
      process.stdout.write(`astarte-bridge ${packageInfo().version}\n`)
      return 0
    }
    if (a === '--config') configPath = argv[++i]
    else if (a === '--log-level' && LEVELS.includes(argv[i + 1] as LogLevel))
      level = argv[++i] as LogLevel
    else {
      process.stderr.write(`astarte-bridge: unknown argument ${a}\n${USAGE}\n`)
      return 2
    }
  }
  if (configPath === undefined) {
    process.stderr.write(`astarte-bridge: --config is required\n${USAGE}\n`)
    return 2
  }
  const logger = consoleLogger({ level })
  let bridge: Bridge
  try {
    const config = await loadBridgeConfig(configPath)
    bridge = await Bridge.start({ config, logger })
  } catch (e) {
    const configError =
      e instanceof SdkError &&
      (e.code === 'local.invalid_config' || e.code === 'local.invalid_interface')
    logger.log(
      'error',
      `astarte-bridge: ${e instanceof Error ? e.message : String(e)}`,
      e instanceof SdkError ? { code: e.code, ...e.ctx } : {},
    )
    return configError ? 2 : 1
  }
  logger.log('info', 'astarte-bridge: running', { config: configPath })
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  logger.log('info', 'astarte-bridge: stopping')
  await bridge.stop()
  return 0
}
