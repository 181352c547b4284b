/**
 * @module astarte-device CLI: dispatches to one module per command. Exit codes: 0 success,
 * 1 the operation failed (invalid input, refused request), 2 usage error.
 */
import { UsageError } from './usage-error.js'

type Command = (args: string[]) => Promise<number>

const commands: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  interface: {
    summary: 'interface validate [--json] <file|dir>...',
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
  send: {
    summary: 'send <connection flags> <interface> <path> <json-value>',
    load: () => import('./commands/send.js'),
  },
  watch: { summary: 'watch <connection flags>', load: () => import('./commands/watch.js') },
}

function usage(): string {
  return (
    'usage: astarte-device <command> [options]\n\ncommands:\n' +
    Object.values(commands)
      .map((c) => `  ${c.summary}`)
      .join('\n') +
    '\n'
  )
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage())
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    process.stderr.write(`astarte-device: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  try {
    const { run } = await command.load()
    return await run(rest)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`astarte-device ${name}: ${e.message}\n`)
      return 2
    }
    throw e
  }
}
