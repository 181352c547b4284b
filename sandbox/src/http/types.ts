/** @module http types: handlers take a parsed request and return a reply; they never write sockets. */
import type { IncomingHttpHeaders } from 'node:http'

export interface HttpRequest {
  readonly method: string
  /** The decoded path, e.g. `/pairing/v1/test/agent/devices`. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly ip: string | null
  /** The request body parsed as JSON; a reply (400/413) when it can't be. */
  readJson(): Promise<{ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reply: Reply }>
}

export interface Reply {
  readonly status: number
  /** Serialized as JSON; absent = empty body. */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export type Handler = (req: HttpRequest) => Promise<Reply>
