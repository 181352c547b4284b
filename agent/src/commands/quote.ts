/** @module quote: server values as log lines show them, bounded. */

/** The longest value text a log line quotes. */
const QUOTED = 64

/** A server value as a log shows it: strings cut to {@link QUOTED} characters. */
export function quote(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'bigint'
        ? `${value}n`
        : value instanceof Uint8Array
          ? `<${value.length} bytes>`
          : value instanceof Date
            ? value.toISOString()
            : JSON.stringify(value)
  return text.length > QUOTED ? `${text.slice(0, QUOTED)}…` : text
}
