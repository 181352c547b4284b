/** The uploader against a real HTTP server that drops, stalls and refuses uploads. */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { UploadError, upload, type UploadRequest } from '../../src/transfer/uploader.js'
import {
  selfSignedCertificate,
  startFaultyHttpServer,
  type FaultyHttpServer,
} from '../helpers/faulty-http-server.js'

const FAST_RETRY = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }
let server: FaultyHttpServer
let tmp: string
let n = 0

before(async () => {
  server = await startFaultyHttpServer()
  tmp = await mkdtemp(join(tmpdir(), 'uploader-'))
})
after(async () => {
  await server.close()
  await rm(tmp, { recursive: true, force: true })
})

async function fixture(size: number): Promise<{ source: string; body: Buffer; path: string }> {
  n += 1
  const body = randomBytes(size)
  const source = join(tmp, `src-${n}.bin`)
  await writeFile(source, body)
  return { source, body, path: `/up-${n}.bin` }
}

const request = (path: string, source: string, extra: Partial<UploadRequest> = {}) => ({
  url: server.url(path),
  source,
  retry: FAST_RETRY,
  ...extra,
})

async function rejectsWith(p: Promise<unknown>, code: string): Promise<UploadError> {
  const e = await p.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => err,
  )
  assert.ok(e instanceof UploadError, `not an UploadError: ${String(e)}`)
  assert.equal(e.code, code, e.message)
  return e
}

describe('uploader', () => {
  test('PUTs the file with Content-Length and the given headers; progress ends at the size', async () => {
    const { source, body, path } = await fixture(500_000)
    const seen: number[] = []
    const result = await upload(
      request(path, source, {
        headers: { 'x-amz-meta-id': 'abc' },
        onProgress: (p) => {
          assert.equal(p.totalBytes, body.length)
          seen.push(p.sentBytes)
        },
      }),
    )
    assert.deepEqual(result, { bytes: body.length, status: 201 })
    assert.deepEqual(server.uploaded(path), body)
    const seenBy = server.requests.find((r) => r.path === path)
    assert.equal(seenBy?.method, 'PUT')
    assert.equal(seenBy?.headers['content-length'], String(body.length))
    assert.equal(seenBy?.headers['x-amz-meta-id'], 'abc')
    assert.equal(seen[0], 0)
    assert.equal(seen.at(-1), body.length)
  })

  test('a connection dropped mid-upload is retried with the whole file', async () => {
    const { source, body, path } = await fixture(400_000)
    server.fault(path, { type: 'drop', afterBytes: 100_000 })
    await upload(request(path, source, { method: 'POST' }))
    assert.deepEqual(server.uploaded(path), body)
    assert.equal(server.requestCount(path), 2)
  })

  test('5xx are retried; a 4xx is final; a missing source is an io error before any request', async () => {
    const a = await fixture(1000)
    server.fault(a.path, { type: 'status', status: 503, times: 2 })
    await upload(request(a.path, a.source))
    assert.equal(server.requestCount(a.path), 3)
    const b = await fixture(1000)
    server.fault(b.path, { type: 'status', status: 403, times: Infinity })
    const e = await rejectsWith(upload(request(b.path, b.source)), 'upload.http_status')
    assert.equal(e.status, 403)
    assert.equal(server.requestCount(b.path), 1)
    await rejectsWith(upload(request('/never.bin', join(tmp, 'absent.bin'))), 'upload.io')
    assert.equal(server.requestCount('/never.bin'), 0)
  })

  test('a stalled server: abort ends the upload; a stall past stallTimeoutMs is retried', async () => {
    const { source, body, path } = await fixture(300_000)
    server.fault(path, { type: 'stall', afterBytes: 50_000 })
    const controller = new AbortController()
    const pending = upload(request(path, source, { signal: controller.signal }))
    await waitFor(() => server.requests.some((r) => r.path === path))
    controller.abort()
    await rejectsWith(pending, 'upload.aborted')
    server.fault(path, { type: 'stall', afterBytes: 50_000 })
    await upload(request(path, source, { stallTimeoutMs: 300 }))
    assert.deepEqual(server.uploaded(path), body)
  })

  test('HTTPS with a configured CA; URLs in errors carry no credentials or query', async () => {
    const tls = await selfSignedCertificate()
    const secure = await startFaultyHttpServer({ tls })
    try {
      const { source, body } = await fixture(10_000)
      await upload({ url: secure.url('/tls.bin'), source, tls: { ca: tls.cert } })
      assert.deepEqual(secure.uploaded('/tls.bin'), body)
      secure.fault('/secret.bin', { type: 'status', status: 404 })
      const url = new URL(secure.url('/secret.bin'))
      url.username = 'user'
      url.password = 'hunter2'
      url.search = '?X-Amz-Signature=topsecret'
      const e = await rejectsWith(
        upload({ url: url.toString(), source, tls: { ca: tls.cert } }),
        'upload.http_status',
      )
      assert.ok(!/hunter2|topsecret|user/.test(e.message), e.message)
    } finally {
      await secure.close()
    }
  })
})

/** Polls `probe` until true (bounded by the test's own timeout). */
async function waitFor(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 20))
}
