/**
 * @module downloader: an HTTP(S) file into `destination`, resumable and verified. Bytes go to
 * `<destination>.part`, with a sidecar `<destination>.part.json` holding the validator (ETag or
 * Last-Modified), the total size and how much of the part is synced to disk; the part becomes
 * `destination` by an atomic rename only once its size and sha256 were checked, so a file at
 * `destination` is always complete. An interrupted download (dropped connection, abort, process
 * restart, power loss) continues with `Range` + `If-Range`; a server that answers with the
 * whole file, or with another validator, starts it over.
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { dirname } from 'node:path'
import { bodyChunks } from './body-reader.js'
import { DEFAULT_RETRY, abortableSleep, backoffDelayMs, type RetryPolicy } from './backoff.js'
import { checkRequest, type DownloadRequest, type DownloadResult } from './download-request.js'
import { DownloadError } from './download-error.js'
import { syncDirectory } from './durable-file.js'
import { statfsFreeSpace, type FreeSpace } from './free-space.js'
import {
  contentLength,
  parseContentRange,
  strongEtag,
  unsatisfiedRangeSize,
} from './http-headers.js'
import { exchange, StalledError } from './http-request.js'
import {
  discardPartial,
  loadPart,
  partPath,
  resourceKey,
  saveSidecar,
  sidecarPath,
  type PartState,
} from './part-state.js'
import { redactUrl } from './redact-url.js'
import { isRetryableStatus, progressThrottle, writeAll } from './transfer-util.js'

export { DownloadError, type DownloadErrorCode } from './download-error.js'
export {
  InvalidDownloadRequestError,
  type DownloadProgress,
  type DownloadRequest,
  type DownloadResult,
} from './download-request.js'

/** Part bytes between two fsyncs, i.e. at most what a power loss makes download again. */
const SYNC_EVERY_BYTES = 1 << 20
const SPACE_CHECK_EVERY_BYTES = 256 << 10
const DEFAULT_STALL_MS = 30_000

interface Run {
  readonly req: DownloadRequest
  readonly url: URL
  /** The URL as errors show it. */
  readonly shown: string
  readonly resource: string
  readonly dir: string
  readonly freeSpace: FreeSpace
  readonly reserve: number
  readonly retry: RetryPolicy
  readonly emit: (received: number, total: number | undefined, force: boolean) => void
}

/** The server's answer made the part unusable; the next request starts from byte 0. */
class Restart extends Error {}

/**
 * Downloads `req.url` to `req.destination`. Resolves once the verified file is in place;
 * rejects with a `DownloadError` (or `InvalidDownloadRequestError` for a bad request).
 */
export async function download(req: DownloadRequest): Promise<DownloadResult> {
  const url = checkRequest(req)
  const run: Run = {
    req,
    url,
    shown: redactUrl(url),
    resource: resourceKey(url),
    dir: dirname(req.destination),
    freeSpace: req.freeSpace ?? statfsFreeSpace,
    reserve: req.reserveBytes ?? 0,
    retry: req.retry ?? DEFAULT_RETRY,
    emit: progressThrottle(req.onProgress),
  }
  let failures = 0
  for (;;) {
    if (req.signal?.aborted === true) return failWith(run, aborted(run))
    const progress = { made: false }
    try {
      return await attempt(run, progress)
    } catch (e) {
      if (e instanceof Restart) continue
      if (!(e instanceof DownloadError)) throw e
      if (!isRetryable(e)) return failWith(run, e)
      failures = progress.made ? 1 : failures + 1
      if (failures >= run.retry.attempts) return failWith(run, e)
      try {
        await abortableSleep(backoffDelayMs(run.retry, failures), req.signal)
      } catch {
        return failWith(run, aborted(run))
      }
    }
  }
}

async function failWith(run: Run, error: DownloadError): Promise<never> {
  const keep =
    run.req.keepPartial !== false &&
    (error.code === 'download.aborted' || error.code === 'download.network')
  if (!keep) await discardPartial(run.req.destination).catch(() => undefined)
  throw error
}

function isRetryable(e: DownloadError): boolean {
  return (
    e.code === 'download.network' ||
    (e.code === 'download.http_status' && e.status !== undefined && isRetryableStatus(e.status))
  )
}

async function attempt(run: Run, progress: { made: boolean }): Promise<DownloadResult> {
  const { req } = run
  const prior = await io(run, () => loadPart(req.destination, run.resource))
  await checkSpace(run, remaining(prior?.state.totalBytes, prior?.offset ?? 0))
  const headers: OutgoingHttpHeaders = { ...req.headers }
  if (prior !== undefined) {
    headers.range = `bytes=${prior.offset}-`
    headers['if-range'] = prior.state.etag ?? prior.state.lastModified
  }
  const res = await network(run, () =>
    exchange({
      method: 'GET',
      url: run.url,
      headers,
      idleTimeoutMs: req.stallTimeoutMs ?? DEFAULT_STALL_MS,
      ...(req.tls === undefined ? {} : { tls: req.tls }),
      ...(req.signal === undefined ? {} : { signal: req.signal }),
    }),
  )
  const body = bodyChunks(res)
  try {
    const head = await readHead(run, res, prior)
    return await receive(run, body, head, progress)
  } finally {
    res.destroy()
  }
}

interface Head {
  readonly offset: number
  readonly state: PartState
  /** The part already holds the whole file (a 416 naming its size): no body to read. */
  readonly complete: boolean
}

/** What the response head says: where the body starts, and the sidecar to keep for it. */
async function readHead(
  run: Run,
  res: IncomingMessage,
  prior: { state: PartState; offset: number } | undefined,
): Promise<Head> {
  const status = res.statusCode ?? 0
  const etag = strongEtag(res.headers.etag)
  const lastModified = res.headers['last-modified']
  let offset = 0
  let total: number | undefined
  let complete = false
  if (status === 206 && prior !== undefined) {
    const range = parseContentRange(res.headers['content-range'])
    const priorTotal = prior.state.totalBytes
    if (
      range === undefined ||
      range.start !== prior.offset ||
      (etag !== undefined && prior.state.etag !== undefined && etag !== prior.state.etag) ||
      (range.total !== undefined && priorTotal !== undefined && range.total !== priorTotal)
    ) {
      await io(run, () => discardPartial(run.req.destination))
      throw new Restart()
    }
    offset = prior.offset
    total = range.total ?? priorTotal
  } else if (status === 416 && prior !== undefined) {
    // If-Range held (else the answer is a 200) and the range starts at the end: the part is
    // the whole file when the server's size is the part's.
    const size = unsatisfiedRangeSize(res.headers['content-range'])
    const priorTotal = prior.state.totalBytes
    if (size !== prior.offset || (priorTotal !== undefined && priorTotal !== size)) {
      await io(run, () => discardPartial(run.req.destination))
      throw new Restart()
    }
    complete = true
    offset = prior.offset
    total = size
  } else if (status === 200) {
    total = contentLength(res)
  } else {
    throw new DownloadError(
      'download.http_status',
      `couldn't download ${run.shown}: the server answered ${status}`,
      { status },
    )
  }
  if (run.req.maxBytes !== undefined && total !== undefined && total > run.req.maxBytes) {
    throw tooLarge(run, total)
  }
  await checkSpace(run, remaining(total, offset))
  const state: PartState = {
    resource: run.resource,
    syncedBytes: offset,
    ...(offset > 0 && prior !== undefined ? validators(prior.state) : {}),
    ...(etag === undefined ? {} : { etag }),
    ...(lastModified === undefined ? {} : { lastModified }),
    ...(total === undefined ? {} : { totalBytes: total }),
  }
  await io(run, () => saveSidecar(run.req.destination, state))
  return { offset, state, complete }
}

async function receive(
  run: Run,
  body: AsyncGenerator<Buffer>,
  head: Head,
  progress: { made: boolean },
): Promise<DownloadResult> {
  const { req } = run
  const part = partPath(req.destination)
  const total = head.state.totalBytes
  const hash = createHash('sha256')
  if (head.offset > 0) await io(run, () => hashPrefix(part, head.offset, hash))
  const fh = await io(run, () => open(part, head.offset === 0 ? 'w' : 'a', 0o600))
  let received = head.offset
  let synced = head.offset
  let spaceChecked = head.offset
  const sync = async (): Promise<void> => {
    await fh.sync()
    synced = received
    await saveSidecar(req.destination, { ...head.state, syncedBytes: synced })
  }
  try {
    run.emit(received, total, true)
    while (!head.complete) {
      const next = await network(run, () => body.next())
      if (next.done === true) break
      const chunk = next.value
      if (req.maxBytes !== undefined && received + chunk.length > req.maxBytes) {
        throw tooLarge(run, received + chunk.length)
      }
      if (total !== undefined && received + chunk.length > total) {
        throw new DownloadError(
          'download.network',
          `couldn't download ${run.shown}: the server sent more than the ${total} bytes it announced`,
        )
      }
      await io(run, () => writeAll(fh, chunk))
      hash.update(chunk)
      received += chunk.length
      progress.made = true
      if (received - synced >= SYNC_EVERY_BYTES) await io(run, sync)
      if (received - spaceChecked >= SPACE_CHECK_EVERY_BYTES) {
        spaceChecked = received
        await checkSpace(run, remaining(total, received))
      }
      run.emit(received, total, false)
    }
    if (total !== undefined && received < total) {
      throw new DownloadError(
        'download.network',
        `couldn't download ${run.shown}: the connection closed after ${received} of ${total} bytes`,
      )
    }
    await io(run, sync)
  } finally {
    // What an interrupted attempt wrote is made durable and counted, for the next to continue.
    if (synced < received) await sync().catch(() => undefined)
    await fh.close().catch(() => undefined)
  }
  run.emit(received, total, true)
  const sha256 = hash.digest('hex')
  if (req.sha256 !== undefined && sha256 !== req.sha256.toLowerCase()) {
    throw new DownloadError(
      'download.checksum',
      `couldn't download ${run.shown}: sha256 ${sha256} is not the expected ${req.sha256.toLowerCase()}`,
    )
  }
  await io(run, async () => {
    await rename(part, req.destination)
    await rm(sidecarPath(req.destination), { force: true })
    await syncDirectory(run.dir)
  })
  return { path: req.destination, bytes: received, sha256, resumed: head.offset > 0 }
}

function validators(state: PartState): Pick<PartState, 'etag' | 'lastModified'> {
  return {
    ...(state.etag === undefined ? {} : { etag: state.etag }),
    ...(state.lastModified === undefined ? {} : { lastModified: state.lastModified }),
  }
}

async function checkSpace(run: Run, needed: number | undefined): Promise<void> {
  let free: number
  try {
    free = await run.freeSpace(run.dir)
  } catch (e) {
    throw new DownloadError('download.io', `couldn't read the free space of ${run.dir}`, {
      cause: e,
    })
  }
  const available = free - run.reserve
  if (available < (needed ?? 0)) {
    const wanted = needed === undefined ? 'more bytes' : `${needed} more bytes`
    throw new DownloadError(
      'download.no_space',
      `couldn't download ${run.shown}: ${wanted} needed, ${free} free of which ${run.reserve} are reserved`,
    )
  }
}

const remaining = (total: number | undefined, received: number): number | undefined =>
  total === undefined ? undefined : total - received

function tooLarge(run: Run, bytes: number): DownloadError {
  return new DownloadError(
    'download.too_large',
    `couldn't download ${run.shown}: ${bytes} bytes exceed the limit of ${run.req.maxBytes}`,
  )
}

function aborted(run: Run): DownloadError {
  return new DownloadError('download.aborted', `download of ${run.shown} aborted`, {
    cause: run.req.signal?.reason,
  })
}

/** A failure of the exchange itself: aborted when the signal says so, else a network error. */
async function network<T>(run: Run, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (e) {
    if (run.req.signal?.aborted === true) throw aborted(run)
    const why = e instanceof StalledError ? e.message : errorText(e)
    throw new DownloadError('download.network', `couldn't download ${run.shown}: ${why}`, {
      cause: e,
    })
  }
}

/** A failure of the local files: no space when the disk says so, else an I/O error. */
async function io<T>(run: Run, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (e) {
    if (e instanceof DownloadError || e instanceof Restart) throw e
    const code = (e as { code?: unknown }).code
    const kind = code === 'ENOSPC' || code === 'EDQUOT' ? 'download.no_space' : 'download.io'
    throw new DownloadError(kind, `couldn't write ${run.req.destination}: ${errorText(e)}`, {
      cause: e,
    })
  }
}

function errorText(e: unknown): string {
  const code = (e as { code?: unknown }).code
  const message = e instanceof Error ? e.message : String(e)
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message
}

async function hashPrefix(path: string, bytes: number, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) {
    hash.update(chunk as Buffer)
  }
}
