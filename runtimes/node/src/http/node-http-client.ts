/**
 * @module node http client: `HttpClient` over node:http/https, which (unlike Node 20's fetch
 * without undici) takes a custom CA. Every request ends: it has a deadline and a response cap.
 * Errors carry method and URL only, never headers (the Authorization JWT) or bodies.
 */
import type { IncomingMessage } from 'node:http'
import { SdkError, abortReason } from '@astarte-ts/sdk-core'
import type {
  AbortSignalLike,
  HttpClient,
  HttpRequest,
  HttpRequestOptions,
  HttpResponse,
  Logger,
} from '@astarte-ts/sdk-core'
import { describeNetworkFailure, failureText } from '../transport/classify-connect-error.js'

export interface NodeHttpClientOptions {
  /** Trust anchors for HTTPS (PEM); the system store when absent. */
  readonly caPem?: string
  /** Development switch: skip server certificate checks (logged loudly on every request). */
  readonly ignoreTlsErrors?: boolean
  /** Deadline for the whole exchange, connect to last byte; default 30 s. */
  readonly timeoutMs?: number
  /** Largest accepted response body; default 1 MiB. */
  readonly maxResponseBytes?: number
  readonly logger?: Logger
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024

/** A URL as it may appear in errors: no credentials, no query string. */
const safeUrl = (u: URL): string => `${u.protocol}//${u.host}${u.pathname}`

class ResponseTooLarge extends Error {}

let requestFunctions: Promise<typeof import('./request-functions.js')> | undefined

/**
 * node:http and node:https, loaded by the first request rather than at import: a restart with
 * stored credentials connects to the broker before its first Pairing call, so the start-up
 * doesn't wait for Node to load them (~2 ms).
 */
const loadRequestFunctions = () => (requestFunctions ??= import('./request-functions.js'))

function readBody(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    res.on('data', (c: Buffer) => {
      size += c.byteLength
      if (size > max) {
        res.destroy(new ResponseTooLarge(`response over ${max} bytes`))
        return
      }
      chunks.push(c)
    })
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
    res.on('aborted', () => reject(new Error('response aborted')))
  })
}

/**
 * `HttpClient` for Node with custom CA support, a deadline and a response size cap. Named for the
 * role `fetch` plays elsewhere; built on node:https because Node 20's fetch takes no custom CA.
 */
export function fetchHttpClient(options: NodeHttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const ignoreTls = options.ignoreTlsErrors === true
  return {
    async request(req: HttpRequest, requestOptions?: HttpRequestOptions): Promise<HttpResponse> {
      const signal = requestOptions?.signal
      let url: URL
      try {
        url = new URL(req.url)
      } catch (cause) {
        throw new SdkError(
          'local.invalid_url',
          "couldn't parse the request URL: it must start with http:// or https://",
          { cause },
        )
      }
      const where = { method: req.method, url: safeUrl(url) }
      const https = url.protocol === 'https:'
      if (!https && url.protocol !== 'http:') {
        throw new SdkError(
          'local.invalid_url',
          `couldn't request a ${url.protocol} URL: it must start with http:// or https://`,
          { ctx: where },
        )
      }
      if (https && ignoreTls) {
        const warning = 'TLS CERTIFICATE CHECKS ARE DISABLED (ignoreTlsErrors): development only'
        options.logger?.log('warn', warning, where)
      }
      const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8')
      const headers: Record<string, string | number> = { ...req.headers }
      if (body !== undefined) headers['content-length'] = body.byteLength
      const send = await loadRequestFunctions()
      if (signal?.aborted === true) throw abortReason(signal)
      return new Promise<HttpResponse>((resolve, reject) => {
        let settled = false
        const end = (): void => {
          settled = true
          clearTimeout(timer)
          signal?.removeEventListener('abort', aborted)
        }
        const fail = (e: unknown): void => {
          if (settled) return
          end()
          r.destroy()
          reject(e)
        }
        const aborted = (): void => fail(abortReason(signal as AbortSignalLike))
        const r = (https ? send.https : send.http)(url, {
          method: req.method,
          headers,
          ...(https ? { rejectUnauthorized: !ignoreTls } : {}),
          ...(https && options.caPem !== undefined ? { ca: options.caPem } : {}),
        })
        const timer = setTimeout(
          () =>
            fail(
              new SdkError(
                'remote.http_timeout',
                `couldn't get an answer from ${where.url} within ${timeoutMs} ms`,
                { ctx: { ...where, timeoutMs } },
              ),
            ),
          timeoutMs,
        )
        signal?.addEventListener('abort', aborted, { once: true })
        const failed = (cause: unknown, message: string, status?: number): void =>
          fail(
            new SdkError(
              'remote.http_failed',
              // Destroying an oversized response also errors the request: same cause, same words.
              cause instanceof ResponseTooLarge
                ? `couldn't accept a response over ${maxBytes} bytes`
                : message,
              { ctx: status === undefined ? where : { ...where, status }, cause },
            ),
          )
        r.on('error', (cause) => {
          const port = Number(url.port !== '' ? url.port : https ? 443 : 80)
          const failure = describeNetworkFailure(cause, { host: url.hostname, port }, 'pairing api')
          // no answer came: the cause in plain words, under the failure's own code
          if (failure.code !== 'remote.connect_failed') {
            const message = `couldn't complete ${req.method} ${where.url}: ${failureText(failure)}`
            fail(new SdkError(failure.code, message, { ctx: where, cause }))
          } else {
            failed(cause, `couldn't complete ${req.method} ${where.url}: ${failure.reason}`)
          }
        })
        r.on('response', (res) => {
          readBody(res, maxBytes).then(
            (text) => {
              if (settled) return
              end()
              resolve({ status: res.statusCode ?? 0, body: text })
            },
            (cause: unknown) =>
              failed(
                cause,
                `couldn't read the response of ${req.method} ${where.url}`,
                res.statusCode,
              ),
          )
        })
        r.end(body)
      })
    },
  } satisfies HttpClient
}

/** Former name of {@link fetchHttpClient}, kept for existing callers. */
export const nodeHttpClient = fetchHttpClient
