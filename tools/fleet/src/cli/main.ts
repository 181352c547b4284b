/**
 * @module astarte-fleet CLI: N virtual devices against a sandbox or a real Astarte. Progress once
 * per second on stderr, the JSON summary on stdout. Exit 0 only when every device paired and was
 * connected at the end and every message sent was acknowledged; 1 otherwise; 2 usage error.
 */
import { readFileSync } from 'node:fs'
import { runFleet } from '../run-fleet.js'
import { parseFleetArgs, usage, UsageError } from './args.js'

/** The package's version: `src/cli` and `dist/cli` both sit two levels below package.json. */
function version(): string {
  const manifest = new URL('../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage)
    return 0
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  let options
  try {
    options = parseFleetArgs(argv, process.env)
  } catch (e) {
    process.stderr.write(`astarte-fleet: ${e instanceof Error ? e.message : String(e)}\n`)
    return e instanceof UsageError ? 2 : 1
  }
  if (options.ignoreTlsErrors) {
    process.stderr.write(
      'astarte-fleet: WARNING --ignore-tls-errors: certificates are NOT checked\n',
    )
  }
  const progress = (line: string): void => void process.stderr.write(`${line}\n`)
  try {
    const summary = await runFleet(options, { progress })
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
    const { paired, connectedAtEnd } = summary.devices
    const everyone = paired === options.devices && connectedAtEnd === paired
    return everyone && summary.sent > 0 && summary.acknowledgedRatio === 1 ? 0 : 1
  } catch (e) {
    process.stderr.write(`astarte-fleet: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  }
}
