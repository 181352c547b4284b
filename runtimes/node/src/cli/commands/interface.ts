/**
 * @module astarte-device interface: `interface validate [--json] <file|dir>...` checks interface
 * JSON files with sdk-core's `parseInterfaceText` (every rule Astarte enforces, spec §1).
 * Directories contribute their `*.json` files (not recursively). Malformed JSON (`json_syntax`)
 * and an unreadable file (`file_unreadable`, this command's own code) count as invalid files.
 * Exit 0 when all are valid, 1 when any is not, 2 on usage errors.
 * `interface compile <file|dir>... -o OUT` validates the same way, then writes the interfaces as
 * compiled tables (sdk-core's `compileInterface`) for a microcontroller to load: a JSON array, or
 * an ES module exporting it by default when OUT ends in `.js`. Nothing is written unless every
 * file is valid and usable by a device.
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseFlags } from '../parse-flags.js'
import {
  compileInterface,
  interfaceIssueCodes,
  parseInterfaceText,
  type Interface,
  type Issue,
} from '@astarte-ts/sdk-core'
import { UsageError } from '../usage-error.js'

const usage =
  'usage: astarte-device interface validate [--json] <file|dir>...\n' +
  '       astarte-device interface compile <file|dir>... -o OUT(.json|.js)'

/** The verdict on one file, in the shape `--json` prints. */
interface FileReport {
  readonly file: string
  readonly valid: boolean
  readonly issues: readonly Issue[]
  readonly iface?: Interface
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseFlags(
    args,
    {
      json: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    usage,
    true,
  )
  if (parsed.values.help === true) {
    process.stdout.write(help())
    return 0
  }
  const [subcommand, ...targets] = parsed.positionals
  if (subcommand !== 'validate' && subcommand !== 'compile') {
    const what = subcommand === undefined ? 'a subcommand is missing' : `unknown: ${subcommand}`
    throw new UsageError(`${what}\n${usage}`)
  }
  if (targets.length === 0) throw new UsageError(`give at least one file or directory\n${usage}`)
  const output = parsed.values.output
  if ((subcommand === 'compile') !== (output !== undefined)) {
    throw new UsageError(`-o OUT goes with compile, and compile needs it\n${usage}`)
  }

  const reports: FileReport[] = []
  for (const target of targets) {
    for (const file of await expand(target)) reports.push(await validateFile(file))
  }
  if (output !== undefined && reports.every((r) => r.valid)) {
    // throws local.unsupported_interface (exit 1) for an interface a device cannot use
    const tables = reports.map((r) => compileInterface(r.iface as Interface))
    const json = JSON.stringify(tables)
    await writeFile(output, output.endsWith('.js') ? `export default ${json}\n` : `${json}\n`)
  }
  if (parsed.values.json === true) {
    const json = reports.map(({ file, valid, issues }) => ({
      file,
      valid,
      issues: issues.map(({ code, path, message }) => ({ code, path, message })),
    }))
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  } else {
    process.stdout.write(humanReport(reports))
  }
  return reports.every((r) => r.valid) ? 0 : 1
}

/** A directory's `*.json` files, sorted; anything else as given (reading it reports problems). */
async function expand(target: string): Promise<string[]> {
  const info = await stat(target).catch(() => undefined)
  if (info?.isDirectory() !== true) return [target]
  const names = await readdir(target)
  return names
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => join(target, n))
}

async function validateFile(file: string): Promise<FileReport> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message
    const message = `couldn't read the file (${reason})`
    return { file, valid: false, issues: [{ code: 'file_unreadable', path: '', message }] }
  }
  const result = parseInterfaceText(text)
  return result.ok
    ? { file, valid: true, issues: [], iface: result.value }
    : { file, valid: false, issues: result.error }
}

/** Usage plus every issue code, so `[code]` in a report can be looked up. */
function help(): string {
  const codes = Object.entries(interfaceIssueCodes).map(([code, what]) => `  ${code}: ${what}`)
  codes.push("  file_unreadable: the file couldn't be read")
  return `${usage}\n\nissue codes:\n${codes.join('\n')}\n`
}

function humanReport(reports: readonly FileReport[]): string {
  const lines = reports.flatMap(({ file, issues }) =>
    issues.map((i) => `${file}: ${i.path === '' ? '(root)' : i.path}: ${i.message} [${i.code}]`),
  )
  const valid = reports.filter((r) => r.valid).length
  lines.push(`${valid} valid, ${reports.length - valid} invalid`)
  return `${lines.join('\n')}\n`
}
