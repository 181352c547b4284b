/**
 * @module fleet pairing http: an `HttpClient` over node:http(s) with a keep-alive agent whose
 * socket count bounds the fleet's parallel Pairing calls. Bodies are capped; the Authorization
 * header is never logged or echoed.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { SdkError } from '@astarte-ts/sdk-core'
import type { HttpClient, HttpRequest, HttpResponse } from '@astarte-ts/sdk-core'

const MAX_BODY_BYTES = 1 << 20

export interface PairingHttpOptions {
  readonly maxSockets: number
  readonly timeoutMs: number
  readonly caPem?: string
  readonly ignoreTlsErrors: boolean
}

export interface PairingHttp extends HttpClient {
  close(): void
}

export function pairingHttp(options: PairingHttpOptions): PairingHttp {
  const http = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets })
  const https = new HttpsAgent({
    keepAlive: true,
    maxSockets: options.maxSockets,
    rejectUnauthorized: !options.ignoreTlsErrors,
    ...(options.caPem === undefined ? {} : { ca: options.caPem }),
  })
  const send = (req: HttpRequest): Promise<HttpResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url)
      const isHttps = url.protocol === 'https:'
      const request = (isHttps ? httpsRequest : httpRequest)(url, {
        method: req.method,
        headers: req.headers,
        agent: isHttps ? https : http,
        timeout: options.timeoutMs,
      })
      const fail = (code: 'remote.http_timeout' | 'remote.http_failed', cause?: unknown): void =>
        reject(
          new SdkError(code, `couldn't complete ${req.method} ${url.pathname}`, {
            ctx: { method: req.method, path: url.pathname },
            cause,
          }),
        )
      request.once('timeout', () => {
        request.destroy()
        fail('remote.http_timeout')
      })
      request.once('error', (e) => fail('remote.http_failed', e))
      request.once('response', (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > MAX_BODY_BYTES) res.destroy(new Error('response body too large'))
          else chunks.push(c)
        })
        res.once('error', (e) => fail('remote.http_failed', e))
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        )
      })
      request.end(req.body)
    })
  return {
    request: send,
    close() {
      http.destroy()
      https.destroy()
    },
  } satisfies PairingHttp
}
