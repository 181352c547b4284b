/**
 * @module http: sdk-core's `HttpClient` (the Pairing API) on Moddable's `http` `Request`, over
 * `SecureSocket` for `https` URLs.
 */
import {
  SdkError,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '@astarte-ts/sdk-core'
import { Request } from 'http'
import SecureSocket from 'securesocket'
import { secureOptions } from './byte-stream.js'

const URL_PARTS = /^(https?):\/\/([^/:?#]+)(?::(\d+))?([^#]*)$/

/** An `HttpClient` trusting `caPem` (the platform's CAs when absent). */
export function moddableHttpClient(options: {
  readonly caPem?: string | undefined
  readonly ignoreTlsErrors: boolean
}): HttpClient {
  return {
    request: (req: HttpRequest) =>
      new Promise<HttpResponse>((resolve, reject) => {
        const url = URL_PARTS.exec(req.url)
        if (url === null) {
          reject(new SdkError('local.invalid_url', 'not an http url', { ctx: { url: req.url } }))
          return
        }
        const [, scheme, host, port, path] = url as unknown as [
          string,
          string,
          string,
          string?,
          string?,
        ]
        const tls = scheme === 'https'
        const headers = Object.entries(req.headers).flat()
        let status = 0
        const request = new Request({
          host,
          port: port === undefined ? (tls ? 443 : 80) : Number(port),
          path: path === undefined || path === '' ? '/' : path,
          method: req.method,
          headers,
          ...(req.body === undefined ? {} : { body: req.body }),
          response: String,
          ...(tls ? { Socket: SecureSocket, secure: secureOptions(options) } : {}),
        })
        request.callback = (message, value) => {
          if (message === Request.status) status = value as number
          else if (message === Request.responseComplete) {
            resolve({ status, body: typeof value === 'string' ? value : '' })
          } else if (message < 0) {
            reject(new SdkError('remote.http_failed', 'the http request failed', { ctx: { host } }))
          }
        }
      }),
  }
}
