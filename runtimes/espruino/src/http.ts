/**
 * @module http: sdk-core's `HttpClient` (the Pairing API) over Espruino's `http` module, which
 * speaks HTTPS on boards with TLS when the options say `protocol: "https:"`.
 *
 * A failed TLS handshake is, as for MQTT's socket, no reason on the request: Espruino emits
 * `error` "unsent data" (code -8: the request it wrote) and `close`, then throws the mbedTLS
 * failure from its event loop. A request that fails before any response so waits one timer task
 * for that error, which `handshake-errors.ts` takes from `process` (not printed as uncaught).
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type {
  HttpClient,
  HttpRequest,
  HttpResponse,
  SdkErrorCode,
  Timers,
} from '@astarte-ts/sdk-core'
import { pemToBinary } from './bytes.js'
import type { EspruinoHttp } from './espruino.js'
import {
  thrownMessage,
  tlsFailure,
  type HandshakeErrors,
  type TlsFailure,
} from './handshake-errors.js'

/** A URL's parts: protocol (`http:`/`https:`), host, port and path when given. */
export type UrlParts = readonly [string, string, string | undefined, string | undefined]

/** Whether `c` ends a line for `.` (which matches anything else). */
const lineEnd = (c: string): boolean => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029'

/**
 * What `/^(https?:)\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url)` captures, `undefined` when it
 * doesn't match: a function, since Espruino's RegExp has no `?` quantifier and no `(?:`.
 */
export function urlParts(url: string): UrlParts | undefined {
  const protocol = url.startsWith('https://') ? 'https:' : url.startsWith('http://') ? 'http:' : ''
  if (protocol === '') return undefined
  const start = protocol.length + 2
  let at = start
  while (at < url.length && url.charAt(at) !== '/' && url.charAt(at) !== ':') at++
  if (at === start) return undefined
  const host = url.slice(start, at)
  let port: string | undefined
  if (url.charAt(at) === ':') {
    const from = ++at
    while (at < url.length && url.charAt(at) >= '0' && url.charAt(at) <= '9') at++
    if (at === from) return undefined
    port = url.slice(from, at)
  }
  if (at === url.length) return [protocol, host, port, undefined]
  if (url.charAt(at) !== '/') return undefined
  for (let i = at; i < url.length; i++) if (lineEnd(url.charAt(i))) return undefined
  return [protocol, host, port, url.slice(at)]
}

// The HTTP port's codes (as Node's client gives them). No client certificate is sent to Pairing,
// so an alert is the server aborting the handshake, never `remote.certificate_rejected`: that
// code makes a device renew its certificate, which would not help.
const CODES: Readonly<Record<TlsFailure, SdkErrorCode>> = {
  alert: 'remote.http_failed',
  untrusted: 'remote.tls_untrusted',
  refused: 'remote.connection_refused',
  dns: 'remote.dns_failed',
}

function requestFailed(url: string, reason: string): SdkError {
  const kind = tlsFailure(reason)
  const why = kind === 'alert' ? `${reason} (the server aborted the TLS handshake)` : reason
  return new SdkError(
    kind === undefined ? 'remote.http_failed' : CODES[kind],
    `couldn't reach ${url}: ${why}`,
    // the reason in ctx too: the device build strips messages, and it is all there is to know
    { ctx: { url, reason } },
  )
}

/**
 * Pairing's HTTP client. `caPem`: the server's trust anchor (Espruino 2v29 parses it but doesn't
 * verify); `handshakeErrors` with `timers` give a failed handshake its reason, without them it is
 * `remote.http_failed` and Espruino prints its error as uncaught.
 */
export function espruinoHttpClient(
  http: EspruinoHttp,
  caPem?: string,
  handshakeErrors?: HandshakeErrors,
  timers?: Timers,
): HttpClient {
  return {
    request(req: HttpRequest): Promise<HttpResponse> {
      return new Promise((resolve, reject) => {
        const parts = urlParts(req.url)
        if (parts === undefined) return reject(requestFailed(req.url, 'not an http(s) URL'))
        const protocol = parts[0]
        const headers: Record<string, string | number> = { ...req.headers }
        // Espruino's http module sends a body only with its length declared
        if (req.body !== undefined) headers['Content-Length'] = req.body.length
        let body = ''
        let answered = false
        let failed = false
        // before any response: the handshake's error, if it failed, is thrown after this pass
        const fail = (e: unknown): void => {
          if (answered || failed) return
          failed = true
          const text = thrownMessage(e)
          if (protocol !== 'https:' || handshakeErrors === undefined || timers === undefined) {
            return reject(requestFailed(req.url, text))
          }
          const expected = handshakeErrors.expect()
          timers.set(() => reject(requestFailed(req.url, expected.read() ?? text)), 0)
        }
        const request = http.request(
          {
            protocol,
            host: parts[1],
            // parseInt, not Number: Espruino's Number reads `0443` as octal
            port: parseInt(parts[2] ?? (protocol === 'https:' ? '443' : '80'), 10),
            path: parts[3] ?? '/',
            method: req.method,
            headers,
            ...(caPem === undefined ? {} : { ca: pemToBinary(caPem) }),
          },
          (res) => {
            answered = true
            res.on('data', (chunk) => {
              body += chunk
            })
            res.on('close', () => resolve({ status: Number(res.statusCode), body }))
          },
        )
        request.on('error', fail)
        // closed with neither a response nor an error: nothing else would settle it
        request.on('close', () => fail('closed'))
        request.end(req.body)
      })
    },
  }
}
