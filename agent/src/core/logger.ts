/**
 * @module journal logger: one stderr line per record, `<N>` sd-daemon priority prefix first.
 * journald reads that prefix from a service's stdout/stderr (`SyslogLevelPrefix=yes`, the
 * default) and stores it as the record's PRIORITY, so `journalctl -p warning` filters the agent's
 * records without a JSON parser; journald adds its own timestamp. The context follows the message
 * as one JSON object, every key that looks like a secret replaced, whatever its nesting.
 */
import type { Logger, LogLevel } from '@astarte-ts/sdk-core'

/** Levels in increasing severity; the configuration accepts these names. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
// sd-daemon(3): 3 err, 4 warning, 6 info, 7 debug
const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 }

const SECRET_KEY = /secret|key|jwt|token|password|authorization|credential/i
const MAX_DEPTH = 8

/** Options of {@link journalLogger}. */
export interface JournalLoggerOptions {
  /** Records below this level are dropped. */
  readonly level: LogLevel
  /** Where lines go (each ends with `\n`); stderr by default. */
  readonly write?: (line: string) => void
}

/** `ctx` with every property whose name looks secret replaced by `[redacted]`, recursively. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[truncated]'
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1))
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : redactSecrets(v, depth + 1)
  }
  return out
}

const jsonSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v)

/** A `Logger` writing `<N>message {"ctx":…}` lines (see the module doc). */
export function journalLogger(options: JournalLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line))
  const min = RANK[options.level]
  return {
    log(level, message, ctx) {
      if (RANK[level] < min) return
      // a newline inside a message would forge a record
      const text = message.replace(/[\r\n]+/g, ' ')
      const tail =
        ctx === undefined || Object.keys(ctx).length === 0
          ? ''
          : ` ${JSON.stringify(redactSecrets(ctx), jsonSafe)}`
      write(`<${PRIORITY[level]}>${text}${tail}\n`)
    },
  }
}

/** The logger with `fields` merged into every record's context (e.g. `{ feature: 'telemetry' }`). */
export function childLogger(logger: Logger, fields: Readonly<Record<string, unknown>>): Logger {
  return { log: (level, message, ctx) => logger.log(level, message, { ...fields, ...ctx }) }
}
