/** @module console logger: one stderr line per event; ctx passes through the redaction guard */
import type { Logger, LogLevel } from '@astarte-ts/sdk-core'
import { redact } from './redact.js'

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface ConsoleLoggerOptions {
  /** Events below this level are dropped. */
  readonly level: LogLevel
  /** Where lines go; stderr by default. */
  readonly write?: (line: string) => void
  /** Time source for the line's timestamp; `Date.now` by default. */
  readonly now?: () => number
}

const jsonSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v)

/** A `Logger` writing `<iso time> <LEVEL> <message> <json ctx>` lines. */
export function consoleLogger(options: ConsoleLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const now = options.now ?? Date.now
  const min = RANK[options.level]
  return {
    log(level, message, ctx) {
      if (RANK[level] < min) return
      const tail = ctx === undefined ? '' : ` ${JSON.stringify(redact(ctx), jsonSafe)}`
      // Newlines inside a message would forge extra log lines.
      const text = message.replace(/[\r\n]+/g, ' ')
      write(`${new Date(now()).toISOString()} ${level.toUpperCase()} ${text}${tail}\n`)
    },
  } satisfies Logger
}
