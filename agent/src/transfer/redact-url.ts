/**
 * @module redact url: a URL as it may appear in logs and errors. Presigned URLs carry their
 * secret in the query and some servers take credentials in the userinfo, so both are dropped.
 */

/** `scheme://host[:port]/path`, with `?…` when a query was dropped; never userinfo. */
export function redactUrl(url: string | URL): string {
  let parsed: URL
  try {
    parsed = typeof url === 'string' ? new URL(url) : url
  } catch {
    return '<invalid url>'
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`
}
