/**
 * @module broker url parts (Espruino): sdk-core's `pairing/broker-url-parts.ts` read by hand,
 * swapped in by the Espruino build: its regex needs `(?:` and optional groups, which Espruino's
 * RegExp lacks. Proven equal to it by `test/regex-rewrites.test.ts` (fast-check, the regex as
 * the oracle).
 */
import { hasLineEnd, isDigitAt } from './chars.js'

/** The host and port (from `at`) of the broker URL `s`, as {@link brokerUrlParts} reads them. */
function hostAndPort(s: string, at: number): [string, string | undefined] | undefined {
  let end = at
  if (s.charAt(at) === '[') {
    // a bracketed IPv6 literal: `\[[0-9a-f:.]+\]`, any case
    while (/^[0-9a-fA-F:.]$/.test(s.charAt(end + 1))) end++
    if (end === at || s.charAt(end + 1) !== ']') return undefined
    end += 2
  } else {
    while (end < s.length && ':/?#[]'.indexOf(s.charAt(end)) < 0) end++
    if (end === at) return undefined
  }
  const host = s.slice(at, end)
  let port: string | undefined
  if (s.charAt(end) === ':') {
    const from = end + 1
    for (end = from; isDigitAt(s, end);) end++
    port = s.slice(from, end)
  }
  // the rest: nothing, or `[/?#].*` to the end
  if (end < s.length && ('/?#'.indexOf(s.charAt(end)) < 0 || hasLineEnd(s, end))) return undefined
  return [host, port]
}

/**
 * The host and port (`undefined` without a `:`) of `scheme://host:port[/…]`, host possibly a
 * bracketed IPv6 literal: what this regex (flag `i`) captures, `undefined` when it doesn't match,
 * `^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(\[[0-9a-f:.]+\]|[^:/?#[\]]+)(?::(\d*))?(?:[/?#].*)?$`.
 * Read by hand: Espruino's RegExp has no `(?:` and no optional groups. As the regex, it first
 * tries a userinfo (up to the first `@` before any `/?#`), then none (a host may hold an `@`).
 */
export function brokerUrlParts(s: string): [string, string | undefined] | undefined {
  const colon = s.indexOf(':')
  if (
    colon < 0 ||
    !/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(s.slice(0, colon)) ||
    s.substr(colon + 1, 2) !== '//'
  ) {
    return undefined
  }
  const start = colon + 3
  let user = start
  while (user < s.length && '@/?#'.indexOf(s.charAt(user)) < 0) user++
  return (s.charAt(user) === '@' ? hostAndPort(s, user + 1) : undefined) ?? hostAndPort(s, start)
}
