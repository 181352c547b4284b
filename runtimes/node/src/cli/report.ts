/**
 * @module report: how the CLI words a failure on stderr. A user error (an `SdkError`: bad input,
 * a refused request, an unreachable server) is its message, the message of the `SdkError` behind
 * it, and its code: never a stack trace, unless `--debug`. Anything else is a bug of ours and is
 * printed with its stack.
 */
import { SdkError } from '@astarte-ts/sdk-core'

/** The SdkError behind `e` (its `cause`), when there is one. */
function sdkCause(e: SdkError): SdkError | undefined {
  const cause = (e as { cause?: unknown }).cause
  return cause instanceof SdkError ? cause : undefined
}

/** `message: cause message … [code, caused by code]`, then one line per issue when several. */
export function describeFailure(e: unknown, debug = false): string {
  if (!(e instanceof SdkError)) {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e)
    return `internal error (please report it): ${text}`
  }
  let text = e.message
  const codes = [e.code]
  for (let c = sdkCause(e); c !== undefined; c = sdkCause(c)) {
    if (!text.includes(c.message)) text += `: ${c.message}`
    codes.push(c.code)
  }
  const [first, ...causes] = codes
  const tail = causes.length === 0 ? `[${first}]` : `[${first}, caused by ${causes.join(', ')}]`
  const lines = [`${text} ${tail}`]
  if (e.issues.length > 1) {
    for (const i of e.issues) lines.push(`  ${i.path === '' ? '' : `${i.path}: `}${i.message}`)
  }
  if (debug) lines.push(debugDetail(e))
  return lines.join('\n')
}

/** Stacks of the error and its causes, for `--debug`. */
function debugDetail(e: unknown): string {
  const lines: string[] = []
  for (let c: unknown = e; c !== undefined && c !== null; c = (c as { cause?: unknown }).cause) {
    lines.push(c instanceof Error ? (c.stack ?? c.message) : String(c))
    if (!(c instanceof Error)) break
  }
  return lines.join('\ncaused by ')
}
