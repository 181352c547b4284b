/**
 * @module file route: `/files/<name>`, a plain HTTP file drop next to Astarte's APIs, standing
 * in for the object storage Edgehog hands devices presigned URLs of. PUT or POST stores the body
 * (written aside, renamed in once complete), GET and HEAD serve it with Content-Length, an ETag
 * and byte ranges (`Range: bytes=N-`, `If-Range`). No authentication, as a presigned URL needs
 * none: for tests and development only.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Logger } from '@astarte-ts/sdk-core'

const PREFIX = '/files/'
const NAME = /^(?!\.+$)[A-Za-z0-9._-]{1,200}$/

/** Serves `/files/<name>` from `dir`; returns false for any other path. */
export function fileRoute(
  dir: string,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname
    if (!path.startsWith(PREFIX)) return false
    const name = decodeURIComponent(path.slice(PREFIX.length))
    const done = (status: number, headers: Record<string, string | number> = {}): void => {
      if (!res.headersSent) res.writeHead(status, headers)
      res.end()
    }
    if (!NAME.test(name)) {
      req.resume()
      done(404)
      return true
    }
    const file = join(dir, name)
    const work =
      req.method === 'PUT' || req.method === 'POST'
        ? store(req, file, dir).then(() => done(req.method === 'PUT' ? 201 : 200))
        : req.method === 'GET' || req.method === 'HEAD'
          ? serve(req, res, file)
          : Promise.resolve(done(405, { allow: 'GET, HEAD, PUT, POST' }))
    work.catch((error: unknown) => {
      const missing = (error as { code?: unknown }).code === 'ENOENT'
      if (!missing) logger.log('warn', "couldn't serve a file", { name, error: String(error) })
      if (!res.destroyed) done(missing ? 404 : 500)
    })
    return true
  }
}

async function store(req: IncomingMessage, file: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const partial = `${file}.${process.pid}.${Date.now()}.partial`
  try {
    await pipeline(req, createWriteStream(partial))
    await rename(partial, file)
  } finally {
    await rm(partial, { force: true })
  }
}

async function serve(req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
  const s = await stat(file)
  const etag = `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
  const ifRange = req.headers['if-range']
  const start = range !== null && (ifRange === undefined || ifRange === etag) ? Number(range[1]) : 0
  if (start > 0 && start >= s.size) {
    res.writeHead(416, { 'content-range': `bytes */${s.size}` }).end()
    return
  }
  res.writeHead(start > 0 ? 206 : 200, {
    'content-type': 'application/octet-stream',
    'content-length': s.size - start,
    'accept-ranges': 'bytes',
    etag,
    ...(start > 0 ? { 'content-range': `bytes ${start}-${s.size - 1}/${s.size}` } : {}),
  })
  if (req.method === 'HEAD' || s.size === start) {
    res.end()
    return
  }
  await pipeline(createReadStream(file, { start }), res)
}
