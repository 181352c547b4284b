/**
 * @module parse flags: every astarte-device command parses its arguments here, strictly, so a
 * bad or unknown flag is always a `UsageError` carrying that command's usage (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './usage-error.js'

/**
 * Rewrites `--flag value` into `--flag=value` for the string flags of `options`, so values that
 * start with `-` are taken as values: one device id in 64 starts with `-` (base64url, spec §4.4),
 * and `parseArgs` would otherwise read it as an ambiguous option.
 */
export function attachFlagValues(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    const next = args[i + 1]
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined) {
      out.push(`${arg}=${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return out
}

export type FlagOptions = NonNullable<ParseArgsConfig['options']>

/** What `parseFlags` returns: `parseArgs`' result for these options (named for declaration emit). */
export type ParsedFlags<O extends FlagOptions> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>
>

/**
 * Parses a command's arguments strictly (values may start with `-`, see `attachFlagValues`);
 * bad or unknown flags throw a `UsageError` that carries the command's usage.
 */
export function parseFlags<O extends FlagOptions>(
  args: readonly string[],
  options: O,
  usage: string,
  allowPositionals = false,
): ParsedFlags<O> {
  try {
    return parseArgs({
      args: attachFlagValues(args, options),
      options,
      strict: true,
      allowPositionals,
    })
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`)
  }
}
