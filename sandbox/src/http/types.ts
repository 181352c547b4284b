/**
 * @module http types: handlers take a parsed request and return a reply; they never write to
 * sockets themselves.
 */
import type { IncomingHttpHeaders } from 'node:http'

export interface HttpRequest {
  readonly method: string
  /** The decoded path, e.g. `/pairing/v1/test/agent/devices`. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly ip: string | null
  /** The request body parsed as JSON; a reply (400/413) when it can't be. */
  readJson(): Promise<Outcome<unknown>>
}

export interface Reply {
  readonly status: number
  /** Serialized as JSON; absent = empty body. */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export type Handler = (req: HttpRequest) => Promise<Reply>

/** A value read from a request, or the reply that refuses the request. */
export type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reply: Reply }
