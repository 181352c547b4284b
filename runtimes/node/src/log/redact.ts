/** @module redact: secrets never reach a log line, whatever key nesting they arrive under */

const SECRET_KEY = /secret|key|jwt|token|password|authorization|credential/i
const MAX_DEPTH = 8

/** The value with every property whose name looks secret replaced by `[redacted]`, recursively. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[truncated]'
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)
  }
  return out
}
