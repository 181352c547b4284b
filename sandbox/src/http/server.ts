/**
 * @module http server: node:http in front of the handlers. Every failure inside a handler becomes
 * a 500 reply and a log line; bodies are capped so oversized input gets 413, never a crash.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '@astarte-ts/sdk-core'
import { badRequest, detail } from './reply.js'
import type { Handler, HttpRequest, Outcome, Reply } from './types.js'

const MAX_BODY_BYTES = 1024 * 1024

/**
 * Creates an HTTP server dispatching every request to `handler`, after `raw` (when given) had
 * the chance to take it whole (streamed bodies that are not JSON).
 */
export function createHttpServer(
  handler: Handler,
  logger: Logger,
  raw?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Server {
  return createServer((req, res) => {
    if (raw?.(req, res) === true) return
    void serve(req, res, handler, logger)
  })
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handler: Handler,
  logger: Logger,
): Promise<void> {
  const method = req.method ?? 'GET'
  let reply: Reply
  try {
    const url = new URL(req.url ?? '/', 'http://sandbox')
    reply = await handler(toRequest(req, method, url))
  } catch (error) {
    logger.log('error', "couldn't handle http request", { method, error: String(error) })
    reply = detail(500, 'Internal Server Error')
  }
  logger.log('debug', 'http', { method, url: req.url?.split('?')[0], status: reply.status })
  const body = reply.body === undefined ? undefined : JSON.stringify(reply.body)
  res.writeHead(reply.status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    ...reply.headers,
  })
  res.end(body)
}

function toRequest(req: IncomingMessage, method: string, url: URL): HttpRequest {
  let decodedPath: string
  try {
    decodedPath = decodeURIComponent(url.pathname)
  } catch {
    decodedPath = url.pathname
  }
  return {
    method,
    path: decodedPath,
    query: url.searchParams,
    headers: req.headers,
    ip: req.socket.remoteAddress ?? null,
    readJson: () => readJsonBody(req),
  }
}

async function readJsonBody(req: IncomingMessage): Promise<Outcome<unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) {
      // The rest of the body stays unread: the connection can't carry another request.
      const reply = { ...detail(413, 'Request Entity Too Large'), headers: { connection: 'close' } }
      return { ok: false, reply }
    }
    chunks.push(buf)
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }
  } catch {
    return { ok: false, reply: badRequest }
  }
}
