/**
 * @module http: sdk-core's `HttpClient` (the Pairing API) over Espruino's `http` module, which
 * speaks HTTPS on boards with TLS when the options say `protocol: "https:"`.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type { HttpClient, HttpRequest, HttpResponse } from '@astarte-ts/sdk-core'
import { pemToBinary } from './bytes.js'
import type { EspruinoHttp } from './espruino.js'

const URL_PARTS = /^(https?:)\/\/([^/:]+)(?::(\d+))?(\/.*)?$/

function requestFailed(url: string, reason: string): SdkError {
  return new SdkError('remote.http_failed', `couldn't reach ${url}: ${reason}`, { ctx: { url } })
}

export function espruinoHttpClient(http: EspruinoHttp, caPem?: string): HttpClient {
  return {
    request(req: HttpRequest): Promise<HttpResponse> {
      return new Promise((resolve, reject) => {
        const parts = URL_PARTS.exec(req.url)
        if (parts === null) return reject(requestFailed(req.url, 'not an http(s) URL'))
        const protocol = parts[1] as string
        const headers: Record<string, string | number> = { ...req.headers }
        // Espruino's http module sends a body only with its length declared
        if (req.body !== undefined) headers['Content-Length'] = req.body.length
        let body = ''
        const request = http.request(
          {
            protocol,
            host: parts[2] as string,
            port: Number(parts[3] ?? (protocol === 'https:' ? 443 : 80)),
            path: parts[4] ?? '/',
            method: req.method,
            headers,
            ...(caPem === undefined ? {} : { ca: pemToBinary(caPem) }),
          },
          (res) => {
            res.on('data', (chunk) => {
              body += chunk
            })
            res.on('close', () => resolve({ status: Number(res.statusCode), body }))
          },
        )
        request.on('error', (e) =>
          reject(requestFailed(req.url, typeof e === 'string' ? e : String(e.message))),
        )
        request.end(req.body)
      })
    },
  }
}
