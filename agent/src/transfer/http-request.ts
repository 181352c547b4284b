/**
 * @module http request: one HTTP(S) exchange over node:http/https with the transfer's TLS
 * trust, an idle timeout and an AbortSignal; redirects are followed for GET. Shared by the
 * downloader and the uploader.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import https from 'node:https'

/** TLS trust for HTTPS transfers; the system's by default. */
export interface TransferTls {
  /** PEM certificate(s) trusted instead of the system store. */
  readonly ca?: string | Uint8Array
  /** `false` accepts any server certificate (tests, lab networks only). */
  readonly rejectUnauthorized?: boolean
}

export interface HttpExchange {
  readonly method: 'GET' | 'PUT' | 'POST'
  readonly url: URL
  readonly headers: OutgoingHttpHeaders
  readonly tls?: TransferTls
  readonly signal?: AbortSignal
  /** Socket inactivity after which the exchange fails as stalled. */
  readonly idleTimeoutMs: number
  /** Writes the request body and ends the request; none by default. */
  readonly body?: (req: http.ClientRequest) => void
}

/** Raised when the socket stayed idle for the exchange's `idleTimeoutMs`. */
export class StalledError extends Error {
  constructor(ms: number) {
    super(`no data for ${ms} ms`)
    this.name = 'StalledError'
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 5

/** A URL the transfer can use: http or https, no other scheme. */
export function parseTransferUrl(url: string): URL | undefined {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed : undefined
  } catch {
    return undefined
  }
}

/**
 * Sends the request and resolves with the response head once it arrives (the body is left to
 * the caller, still under the idle timeout). GETs follow up to five redirects.
 */
export async function exchange(ex: HttpExchange): Promise<IncomingMessage> {
  let url = ex.url
  let headers = ex.headers
  for (let hop = 0; ; hop++) {
    const res = await once({ ...ex, url, headers })
    const location = res.headers.location
    if (ex.method !== 'GET' || !REDIRECTS.has(res.statusCode ?? 0) || location === undefined) {
      return res
    }
    res.resume()
    const next = parseTransferUrl(new URL(location, url).toString())
    if (next === undefined || hop + 1 >= MAX_REDIRECTS) return res
    // Credentials meant for one origin are not handed to another (as fetch does).
    if (next.origin !== url.origin) headers = withoutCredentials(headers)
    url = next
  }
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization'])

function withoutCredentials(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  )
}

function once(ex: HttpExchange): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: ex.method,
      headers: ex.headers,
      ...(ex.signal === undefined ? {} : { signal: ex.signal }),
    }
    if (ex.url.protocol === 'https:') {
      if (ex.tls?.ca !== undefined) {
        options.ca = typeof ex.tls.ca === 'string' ? ex.tls.ca : Buffer.from(ex.tls.ca)
      }
      if (ex.tls?.rejectUnauthorized !== undefined) {
        options.rejectUnauthorized = ex.tls.rejectUnauthorized
      }
    }
    const req = (ex.url.protocol === 'https:' ? https : http).request(ex.url, options)
    req.setTimeout(ex.idleTimeoutMs, () => req.destroy(new StalledError(ex.idleTimeoutMs)))
    req.once('error', reject)
    req.once('response', resolve)
    if (ex.body === undefined) req.end()
    else ex.body(req)
  })
}
