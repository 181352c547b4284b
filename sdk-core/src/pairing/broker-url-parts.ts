/**
 * @module broker url parts: the broker URL grammar of `broker-url.ts` as one regex, alone in its
 * module so that a runtime whose RegExp can't run it swaps in its own (Espruino's build).
 */

/** `scheme://host:port[/…]`, host possibly a bracketed IPv6 literal. */
const BROKER_URL = new RegExp(
  [
    '^[a-z][a-z0-9+.-]*://', // any scheme
    '(?:[^@/?#]*@)?', // userinfo, unused
    '(\\[[0-9a-f:.]+\\]|[^:/?#[\\]]+)', // host
    '(?::(\\d*))?', // port
    '(?:[/?#].*)?$',
  ].join(''),
  'i',
)

/** Host and port (`undefined` without a `:`) of `s`, `undefined` when the regex doesn't match. */
export function brokerUrlParts(s: string): [string, string | undefined] | undefined {
  const m = BROKER_URL.exec(s)
  return m === null ? undefined : [m[1] as string, m[2]]
}
