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
import { toArrayBuffer } from './pem.js'

const URL_PARTS = /^(https?):\/\/([^/:?#]+)(?::(\d+))?([^#]*)$/

/** UTF-8 bytes of `text` (no `TextEncoder` in a Moddable app that doesn't include one). */
function utf8(text: string): Uint8Array {
  const out: number[] = []
  for (const ch of text) {
    const c = ch.codePointAt(0) as number
    if (c < 0x80) out.push(c)
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63))
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63))
    else {
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63))
    }
  }
  return new Uint8Array(out)
}

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
        // Moddable's Request writes a string body in one socket write, which throws when the body
        // exceeds the socket's free room (1 KiB on lin; a certificate to verify is more): the body
        // goes as fragments it asks for (`body: true`), sized to the room, and its length in bytes
        // is ours to send (Request counts a string's characters, not its UTF-8 bytes).
        const body = req.body === undefined ? undefined : utf8(req.body)
        if (body !== undefined) headers.push('content-length', String(body.length))
        let sent = 0
        let status = 0
        const request = new Request({
          host,
          port: port === undefined ? (tls ? 443 : 80) : Number(port),
          path: path === undefined || path === '' ? '/' : path,
          method: req.method,
          headers,
          ...(body === undefined ? {} : { body: true }),
          response: String,
          ...(tls ? { Socket: SecureSocket, secure: secureOptions(options) } : {}),
        })
        request.callback = (message, value) => {
          if (message === Request.requestFragment) {
            if (body === undefined || sent === body.length) return undefined
            const fragment = body.subarray(sent, sent + Math.max(0, Number(value) || 0))
            sent += fragment.length
            return toArrayBuffer(fragment)
          }
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
