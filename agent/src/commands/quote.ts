/** @module quote: server values as log lines show them, bounded. */

/** The longest value text a log line quotes. */
const QUOTED = 64

/** A server value as a log shows it: any Astarte value, cut to {@link QUOTED} characters. */
export function quote(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Date
        ? value.toISOString()
        : String(JSON.stringify(value, readable))
  const unquoted = typeof value === 'bigint' || value instanceof Uint8Array
  // a longinteger or a binaryblob alone: its readable form without JSON's quotes
  const shown = unquoted ? text.slice(1, -1) : text
  return shown.length > QUOTED ? `${shown.slice(0, QUOTED)}…` : shown
}

/** JSON for what JSON lacks: longintegers (`5n`), binaryblobs (`<n bytes>`). */
function readable(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Uint8Array) return `<${value.length} bytes>`
  return value
}
