/**
 * @module faulty http server (test helper): a real node:http(s) server on 127.0.0.1 serving
 * files with ETag, Last-Modified and byte ranges (`Range`, `If-Range`), storing PUT/POST
 * bodies, and misbehaving on demand: a connection dropped after N bytes, wrong bytes, a stall,
 * an error status, a Range ignored. It counts requests and the body bytes it really sent.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** A file the server serves at a path. */
export interface ServedFile {
  readonly body: Uint8Array
  /** Quoted; `"<sha256 prefix>"` of the body by default. `null` sends none. */
  readonly etag?: string | null
  readonly lastModified?: string
  /** Sends the body chunked, without Content-Length. */
  readonly chunked?: boolean
  /** Sends the body `chunkBytes` at a time with `delayMs` between writes. */
  readonly pace?: { readonly chunkBytes: number; readonly delayMs: number }
}

/**
 * A misbehaviour for the next `times` requests to a path (1 by default; `Infinity` = always).
 * - `drop`: the response (or, for an upload, the request) is cut after `afterBytes` body bytes.
 * - `stall`: `afterBytes` body bytes, then silence with the connection left open.
 * - `status`: answers `status` with a short text body.
 * - `corrupt`: the right length, with the byte at `at` (the middle by default) flipped.
 * - `ignoreRange`: a 200 with the whole file whatever the `Range`.
 * - `rangeWithNewEtag`: honours the `Range` but announces another ETag (a server whose file
 *   changed and that does not check `If-Range`).
 * - `redirect`: a 302 to `location`.
 */
export type Fault = (
  | { readonly type: 'drop'; readonly afterBytes: number }
  | { readonly type: 'stall'; readonly afterBytes: number }
  | { readonly type: 'status'; readonly status: number }
  | { readonly type: 'corrupt'; readonly at?: number }
  | { readonly type: 'ignoreRange' }
  | { readonly type: 'rangeWithNewEtag' }
  | { readonly type: 'redirect'; readonly location: string }
) & { readonly times?: number }

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
  /** Status answered. */
  readonly status: number
  /** Body bytes sent (download) or received (upload) and flushed. */
  readonly bytes: number
  readonly fault: Fault['type'] | undefined
}

export interface FaultyHttpServer {
  /** `http(s)://127.0.0.1:<port>`. */
  readonly origin: string
  url(path: string): string
  serve(path: string, file: ServedFile): void
  /** Replaces the ETag of a served file (the body stays). */
  setEtag(path: string, etag: string): void
  fault(path: string, fault: Fault): void
  clearFaults(path: string): void
  /** The last body PUT or POSTed to `path`, complete. */
  uploaded(path: string): Buffer | undefined
  /** Every request finished so far, in order. */
  readonly requests: readonly RecordedRequest[]
  /** Body bytes sent over all downloads of `path` (every path when omitted). */
  bytesServed(path?: string): number
  /** Requests seen for `path` (every path when omitted). */
  requestCount(path?: string): number
  /** Ends stalled responses and closes the server. */
  close(): Promise<void>
}

export interface FaultyHttpServerOptions {
  readonly tls?: { readonly key: string; readonly cert: string }
}

interface Entry {
  file: ServedFile
  etag: string | undefined
}

export async function startFaultyHttpServer(
  options: FaultyHttpServerOptions = {},
): Promise<FaultyHttpServer> {
  const files = new Map<string, Entry>()
  const faults = new Map<string, { fault: Fault; left: number }[]>()
  const uploads = new Map<string, Buffer>()
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()

  const takeFault = (path: string): Fault | undefined => {
    const list = faults.get(path)
    const slot = list?.find((f) => f.left > 0)
    if (slot === undefined) return undefined
    slot.left -= 1
    return slot.fault
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const fault = takeFault(path)
    const record = (status: number, bytes: number): void => {
      requests.push({
        method: req.method ?? '',
        path,
        headers: req.headers,
        status,
        bytes,
        fault: fault?.type,
      })
    }
    if (fault?.type === 'status') {
      req.resume()
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(`fault ${fault.status}`)
      record(fault.status, 0)
      return
    }
    if (fault?.type === 'redirect') {
      req.resume()
      res.writeHead(302, { location: fault.location }).end()
      record(302, 0)
      return
    }
    if (req.method === 'PUT' || req.method === 'POST') {
      void receiveUpload(req, res, path, fault, uploads, files, record)
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
      record(405, 0)
      return
    }
    const entry = files.get(path)
    if (entry === undefined) {
      res.writeHead(404).end()
      record(404, 0)
      return
    }
    void sendFile(req, res, entry, fault, record)
  }

  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : http.createServer(handler)
  server.on(options.tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  const matches = (path: string | undefined) => (r: RecordedRequest) =>
    path === undefined || r.path === path

  return {
    origin,
    url: (path) => `${origin}${path.startsWith('/') ? '' : '/'}${path}`,
    serve(path, file) {
      files.set(path, {
        file,
        etag: file.etag === null ? undefined : (file.etag ?? etagOf(file.body)),
      })
    },
    setEtag(path, etag) {
      const entry = files.get(path)
      if (entry === undefined) throw new Error(`nothing served at ${path}`)
      entry.etag = etag
    },
    fault(path, fault) {
      const list = faults.get(path) ?? []
      list.push({ fault, left: fault.times ?? 1 })
      faults.set(path, list)
    },
    clearFaults(path) {
      faults.delete(path)
    },
    uploaded: (path) => uploads.get(path),
    requests,
    bytesServed: (path) =>
      requests
        .filter(matches(path))
        .filter((r) => r.method === 'GET')
        .reduce((n, r) => n + r.bytes, 0),
    requestCount: (path) => requests.filter(matches(path)).length,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const etagOf = (body: Uint8Array): string =>
  `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  entry: Entry,
  fault: Fault | undefined,
  record: (status: number, bytes: number) => void,
): Promise<void> {
  const { file } = entry
  const size = file.body.length
  let etag = entry.etag
  let start = 0
  let status = 200
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
  const ifRange = req.headers['if-range']
  const validatorMatches =
    ifRange === undefined || ifRange === etag || ifRange === file.lastModified
  if (range !== null && fault?.type !== 'ignoreRange') {
    if (validatorMatches || fault?.type === 'rangeWithNewEtag') {
      start = Number(range[1])
      status = 206
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end()
        record(416, 0)
        return
      }
    }
  }
  if (fault?.type === 'rangeWithNewEtag') etag = `"changed-${Date.now()}"`
  let body = Buffer.from(file.body.subarray(start))
  if (fault?.type === 'corrupt') {
    body = Buffer.from(body)
    const at = Math.min(body.length - 1, Math.max(0, (fault.at ?? Math.floor(size / 2)) - start))
    if (body.length > 0) body[at] = (body[at] ?? 0) ^ 0xff
  }
  const headers: http.OutgoingHttpHeaders = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
  }
  if (etag !== undefined) headers.etag = etag
  if (file.lastModified !== undefined) headers['last-modified'] = file.lastModified
  if (file.chunked !== true) headers['content-length'] = body.length
  if (status === 206) headers['content-range'] = `bytes ${start}-${size - 1}/${size}`
  res.writeHead(status, headers)
  if (req.method === 'HEAD') {
    res.end()
    record(status, 0)
    return
  }
  const limit =
    fault?.type === 'drop' || fault?.type === 'stall'
      ? Math.min(fault.afterBytes, body.length)
      : body.length
  const step = file.pace?.chunkBytes ?? 64 * 1024
  let sent = 0
  try {
    while (sent < limit) {
      const piece = body.subarray(sent, Math.min(limit, sent + step))
      await write(res, piece)
      sent += piece.length
      if (file.pace !== undefined && sent < limit) await delay(file.pace.delayMs)
    }
  } catch {
    record(status, sent)
    return
  }
  record(status, sent)
  if (fault?.type === 'drop') {
    // Bytes written are flushed first: the client gets exactly `afterBytes`, then the end.
    res.socket?.end()
    return
  }
  if (fault?.type === 'stall') return
  res.end()
}

async function receiveUpload(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  fault: Fault | undefined,
  uploads: Map<string, Buffer>,
  files: Map<string, Entry>,
  record: (status: number, bytes: number) => void,
): Promise<void> {
  const chunks: Buffer[] = []
  let received = 0
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      received += chunk.length
      if (fault?.type === 'drop' && received >= fault.afterBytes) {
        record(0, received)
        req.socket.destroy()
        return
      }
      if (fault?.type === 'stall' && received >= fault.afterBytes) {
        req.pause()
        record(0, received)
        return
      }
    }
  } catch {
    record(0, received)
    return
  }
  const body = Buffer.concat(chunks)
  uploads.set(path, body)
  files.set(path, { file: { body }, etag: etagOf(body) })
  const status = req.method === 'PUT' ? 201 : 200
  res.writeHead(status).end()
  record(status, received)
}

function write(res: ServerResponse, piece: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(piece, (err) => (err ? reject(err) : resolve()))
  })
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A throw-away self-signed certificate for 127.0.0.1 (openssl), to serve and to trust. */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'faulty-http-tls-'))
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ])
    return {
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
