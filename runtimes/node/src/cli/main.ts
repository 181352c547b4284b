/**
 * @module astarte-device CLI: dispatches to one module per command. Exit codes: 0 success,
 * 1 the operation failed (invalid input, refused request), 2 usage error. `--version` and
 * `--help` work everywhere; `--debug` adds stack traces to failures (a failure that is not a
 * user error — a bug — always gets one).
 */
import { readFileSync } from 'node:fs'
import { connectionFlagsUsage } from '../config/connection-flags.js'
import { describeFailure } from './report.js'
import { UsageError } from './usage-error.js'

interface CommandModule {
  run(args: string[], debug?: boolean): Promise<number>
  readonly usage?: string
}

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  interface: {
    summary: 'interface validate [--json] <file|dir>... | interface compile <file|dir>... -o OUT',
    load: () => import('./commands/interface.js'),
  },
  payload: {
    summary: 'payload decode <hex> | payload encode --interface FILE --path PATH --value JSON',
    load: () => import('./commands/payload.js'),
  },
  id: {
    summary: 'id <hardware-id> [--namespace UUID] | id --random',
    load: () => import('./commands/id.js'),
  },
  register: {
    summary: 'register --pairing-url URL --realm R --jwt TOKEN (--hardware-id HW | --device-id ID)',
    load: () => import('./commands/register.js'),
  },
  provision: {
    summary:
      'provision --pairing-url URL --realm R --out DIR (--hardware-id HW | --device-id ID | --batch IDS.csv)',
    load: () => import('./commands/provision.js'),
  },
  send: {
    summary: 'send <connection flags> <interface> <path> <json-value>',
    load: () => import('./commands/send.js'),
  },
  watch: { summary: 'watch <connection flags>', load: () => import('./commands/watch.js') },
}

/** The package version, read from package.json (two levels above both src/cli and dist/cli). */
export function version(): string {
  const file = new URL('../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

function usage(): string {
  return (
    'usage: astarte-device <command> [options]   (astarte-device <command> --help for details)\n\n' +
    'commands:\n' +
    Object.values(commands)
      .map((c) => `  ${c.summary}`)
      .join('\n') +
    `\n\nconnection flags (send, watch):\n  ${connectionFlagsUsage}\n\n` +
    'everywhere: --help, --version, --debug (stack traces with failures)\n' +
    'exit codes: 0 success, 1 failure (the reason on stderr), 2 usage error\n'
  )
}

const HELP = new Set(['--help', '-h'])

export async function main(argv: string[]): Promise<number> {
  // `--debug` anywhere, before or after the command
  const debug = argv.includes('--debug')
  const [name, ...rest] = argv.filter((a) => a !== '--debug')
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  if (name === undefined || HELP.has(name)) {
    process.stdout.write(usage())
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    process.stderr.write(`astarte-device: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  if (rest.includes('--version')) {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  let module: CommandModule | undefined
  try {
    module = await command.load()
    // every command answers --help, whether or not it parses it itself
    if (module.usage !== undefined && rest.some((a) => HELP.has(a))) {
      process.stdout.write(`${module.usage.trimEnd()}\n`)
      return 0
    }
    return await module.run(rest, debug)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`astarte-device ${name}: ${e.message}\n`)
      if (!e.message.includes('usage:') && module?.usage !== undefined) {
        process.stderr.write(`${module.usage.trimEnd()}\n`)
      }
      return 2
    }
    process.stderr.write(`astarte-device ${name}: ${describeFailure(e, debug)}\n`)
    return 1
  }
}
