/** @module log: one line per event on stderr; callers never put secrets in `ctx`. */
import type { Logger, LogLevel } from '@astarte-ts/sdk-core'

/** A logger writing `<iso time> <level> <message> <ctx json>` lines to stderr. */
export function stderrLogger(minLevel: LogLevel = 'info'): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
  return {
    log(level, message, ctx) {
      if (order[level] < order[minLevel]) return
      const extra = ctx === undefined ? '' : ` ${JSON.stringify(ctx, jsonSafe)}`
      process.stderr.write(`${new Date().toISOString()} ${level} ${message}${extra}\n`)
    },
  }
}

/** A logger that drops everything (tests that don't want stderr noise). */
export const silentLogger: Logger = { log() {} }

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}
