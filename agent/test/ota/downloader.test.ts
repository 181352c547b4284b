/**
 * The downloader against a real HTTP server that drops, corrupts, stalls and changes its
 * files: every outcome is a verified file at the destination or a typed error with nothing
 * half-written taken for complete.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { after, before, describe, test } from 'node:test'
import {
  DownloadError,
  InvalidDownloadRequestError,
  download,
  type DownloadRequest,
} from '../../src/transfer/downloader.js'
import {
  selfSignedCertificate,
  startFaultyHttpServer,
  type FaultyHttpServer,
} from '../helpers/faulty-http-server.js'
import { mountTmpfs } from '../helpers/tmpfs.js'

const FAST_RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

let server: FaultyHttpServer
let tmp: string
let n = 0

before(async () => {
  server = await startFaultyHttpServer()
  tmp = await mkdtemp(join(tmpdir(), 'downloader-'))
})
after(async () => {
  await server.close()
  await rm(tmp, { recursive: true, force: true })
})

/** A fresh path served with `size` random bytes, and a fresh destination. */
function fixture(size: number): { path: string; body: Buffer; destination: string } {
  n += 1
  const path = `/file-${n}.bin`
  const body = randomBytes(size)
  server.serve(path, { body })
  return { path, body, destination: join(tmp, `out-${n}.bin`) }
}

function request(path: string, destination: string, extra: Partial<DownloadRequest> = {}) {
  return { url: server.url(path), destination, retry: FAST_RETRY, ...extra }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<DownloadError> {
  const e = await p.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => err,
  )
  assert.ok(e instanceof DownloadError, `not a DownloadError: ${String(e)}`)
  assert.equal(e.code, code, e.message)
  return e
}

const leftovers = async (destination: string): Promise<string[]> => {
  const base = destination.slice(tmp.length + 1)
  return (await readdir(tmp)).filter((f) => f.startsWith(base))
}

describe('downloader', () => {
  test('downloads, verifies and renames; progress ends at the total', async () => {
    const { path, body, destination } = fixture(700_000)
    const seen: number[] = []
    const result = await download(
      request(path, destination, {
        sha256: sha(body),
        onProgress: (p) => {
          assert.equal(p.totalBytes, body.length)
          seen.push(p.receivedBytes)
        },
      }),
    )
    assert.deepEqual(result, {
      path: destination,
      bytes: body.length,
      sha256: sha(body),
      resumed: false,
    })
    assert.deepEqual(await readFile(destination), body)
    assert.deepEqual(await leftovers(destination), [destination.slice(tmp.length + 1)])
    assert.equal(seen[0], 0)
    assert.equal(seen.at(-1), body.length)
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      seen,
      'progress never goes back',
    )
  })

  test('a connection dropped mid-way is continued with Range + If-Range, not downloaded twice', async () => {
    const { path, body, destination } = fixture(1_000_000)
    server.fault(path, { type: 'drop', afterBytes: 300_000 })
    const result = await download(request(path, destination, { sha256: sha(body) }))
    assert.equal(result.resumed, true)
    assert.deepEqual(await readFile(destination), body)
    const [first, second, ...rest] = server.requests.filter((r) => r.path === path)
    assert.equal(rest.length, 0)
    assert.ok(first && second)
    assert.equal(first.bytes, 300_000)
    assert.equal(second.status, 206)
    assert.match(String(second.headers['if-range']), /^"[0-9a-f]{16}"$/)
    assert.equal(second.headers.range, 'bytes=300000-')
    assert.equal(second.bytes, body.length - 300_000)
    assert.equal(server.bytesServed(path), body.length)
  })

  test('a wrong sha256 fails the download and leaves nothing behind', async () => {
    const { path, body, destination } = fixture(200_000)
    server.fault(path, { type: 'corrupt' })
    await rejectsWith(
      download(request(path, destination, { sha256: sha(body) })),
      'download.checksum',
    )
    assert.deepEqual(await leftovers(destination), [])
  })

  test('a file over maxBytes is refused, announced or not', async () => {
    const announced = fixture(100_000)
    let received = false
    const onProgress = (): void => {
      received = true
    }
    await rejectsWith(
      download(request(announced.path, announced.destination, { maxBytes: 99_999, onProgress })),
      'download.too_large',
    )
    assert.equal(received, false, 'refused on the announced size, before any byte was taken')
    const chunked = fixture(300_000)
    server.serve(chunked.path, { body: chunked.body, chunked: true })
    await rejectsWith(
      download(request(chunked.path, chunked.destination, { maxBytes: 100_000 })),
      'download.too_large',
    )
    assert.deepEqual(await leftovers(announced.destination), [])
    assert.deepEqual(await leftovers(chunked.destination), [])
  })

  test('not enough space, before the download or during it, fails and frees what it wrote', async () => {
    const known = fixture(500_000)
    await rejectsWith(
      download(
        request(known.path, known.destination, {
          freeSpace: async () => 600_000,
          reserveBytes: 200_000,
          onProgress: () => assert.fail('refused on the announced size, before any byte'),
        }),
      ),
      'download.no_space',
    )
    const unknown = fixture(2_000_000)
    server.serve(unknown.path, { body: unknown.body, chunked: true })
    const e = await rejectsWith(
      download(
        request(unknown.path, unknown.destination, {
          reserveBytes: 100_000,
          freeSpace: async () => 1_000_000 - (await partSize(unknown.destination)),
        }),
      ),
      'download.no_space',
    )
    assert.match(e.message, /100000 are reserved/)
    assert.deepEqual(await leftovers(known.destination), [])
    assert.deepEqual(await leftovers(unknown.destination), [])
  })

  test('a real full file system (1 MiB tmpfs): refused on the size, or stopped by ENOSPC', async (t) => {
    const dir = await mountTmpfs(t, tmp, '1m')
    if (dir === undefined) return
    const announced = fixture(2 * 1024 * 1024)
    await rejectsWith(
      download(request(announced.path, join(dir, 'announced.bin'))),
      'download.no_space',
    )
    const chunked = fixture(2 * 1024 * 1024)
    server.serve(chunked.path, { body: chunked.body, chunked: true })
    await rejectsWith(
      download(request(chunked.path, join(dir, 'chunked.bin'))),
      'download.no_space',
    )
    assert.deepEqual(await readdir(dir), [])
  })

  test('a 4xx is final: one request, no retry', async () => {
    const { path, destination } = fixture(1000)
    server.fault(path, { type: 'status', status: 403, times: Infinity })
    const e = await rejectsWith(download(request(path, destination)), 'download.http_status')
    assert.equal(e.status, 403)
    assert.equal(server.requestCount(path), 1)
    assert.equal(server.requestCount('/missing.bin'), 0)
    const missing = await rejectsWith(
      download(request('/missing.bin', join(tmp, 'missing.bin'))),
      'download.http_status',
    )
    assert.equal(missing.status, 404)
  })

  test('5xx are retried with backoff; once retries run out the last error is the outcome', async () => {
    const ok = fixture(50_000)
    server.fault(ok.path, { type: 'status', status: 503, times: 2 })
    assert.equal((await download(request(ok.path, ok.destination))).bytes, 50_000)
    assert.equal(server.requestCount(ok.path), 3)
    const down = fixture(50_000)
    server.fault(down.path, { type: 'status', status: 502, times: Infinity })
    const e = await rejectsWith(
      download(request(down.path, down.destination)),
      'download.http_status',
    )
    assert.equal(e.status, 502)
    assert.equal(server.requestCount(down.path), FAST_RETRY.attempts)
  })

  test('without a validator (no ETag, no Last-Modified) nothing is resumed: the file starts over', async () => {
    const { path, body, destination } = fixture(300_000)
    server.serve(path, { body, etag: null })
    server.fault(path, { type: 'drop', afterBytes: 100_000 })
    const result = await download(request(path, destination, { sha256: sha(body) }))
    assert.equal(result.resumed, false)
    assert.deepEqual(await readFile(destination), body)
    const second = server.requests.filter((r) => r.path === path)[1]
    assert.ok(second)
    assert.equal(second.headers.range, undefined)
    assert.equal(second.bytes, body.length)
  })

  test('Last-Modified serves as the validator when there is no ETag', async () => {
    const { path, body, destination } = fixture(300_000)
    const lastModified = 'Mon, 07 Dec 2026 00:00:00 GMT'
    server.serve(path, { body, etag: null, lastModified })
    server.fault(path, { type: 'drop', afterBytes: 100_000 })
    const result = await download(request(path, destination))
    assert.equal(result.resumed, true)
    assert.deepEqual(await readFile(destination), body)
    const second = server.requests.filter((r) => r.path === path)[1]
    assert.equal(second?.headers['if-range'], lastModified)
    assert.equal(second.headers.range, 'bytes=100000-')
  })

  test('a part holding the whole file (its end lost with the connection) is finished on a 416', async () => {
    const { path, body, destination } = fixture(200_000)
    server.serve(path, { body, chunked: true })
    server.fault(path, { type: 'drop', afterBytes: body.length })
    const result = await download(request(path, destination, { sha256: sha(body) }))
    assert.equal(result.resumed, true)
    assert.deepEqual(await readFile(destination), body)
    assert.deepEqual(
      server.requests.filter((r) => r.path === path).map((r) => [r.status, r.headers.range]),
      [
        [200, undefined],
        [416, `bytes=${body.length}-`],
      ],
    )
    assert.equal(server.bytesServed(path), body.length)
  })

  test('a 200 in answer to a Range request starts the file over cleanly', async () => {
    const { path, body, destination } = fixture(400_000)
    server.fault(path, { type: 'drop', afterBytes: 150_000 })
    server.fault(path, { type: 'ignoreRange' })
    const result = await download(request(path, destination, { sha256: sha(body) }))
    assert.equal(result.resumed, false)
    assert.deepEqual(await readFile(destination), body)
    const second = server.requests.filter((r) => r.path === path)[1]
    assert.ok(second?.headers.range !== undefined)
    assert.equal(second.status, 200)
  })

  test('a changed ETag starts over: by If-Range at the server, or by the client when the server ignores it', async () => {
    const a = fixture(400_000)
    server.fault(a.path, { type: 'drop', afterBytes: 100_000 })
    const once = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }
    await rejectsWith(download(request(a.path, a.destination, { retry: once })), 'download.network')
    assert.ok(existsSync(`${a.destination}.part`))
    const changed = randomBytes(400_000)
    server.serve(a.path, { body: changed, etag: '"v2"' })
    const ra = await download(request(a.path, a.destination, { sha256: sha(changed) }))
    assert.equal(ra.resumed, false)
    assert.deepEqual(await readFile(a.destination), changed)
    assert.equal(server.requests.filter((r) => r.path === a.path)[1]?.status, 200)

    const b = fixture(400_000)
    server.fault(b.path, { type: 'drop', afterBytes: 100_000 })
    server.fault(b.path, { type: 'rangeWithNewEtag' })
    const rb = await download(request(b.path, b.destination, { sha256: sha(b.body) }))
    assert.equal(rb.resumed, false)
    assert.deepEqual(await readFile(b.destination), b.body)
    assert.deepEqual(
      server.requests.filter((r) => r.path === b.path).map((r) => [r.status, r.headers.range]),
      [
        [200, undefined],
        [206, server.requests.filter((r) => r.path === b.path)[1]?.headers.range],
        [200, undefined],
      ],
    )
  })

  test('a stalled server: abort ends the download at once and keeps the part, which a later download continues', async () => {
    const { path, body, destination } = fixture(600_000)
    server.fault(path, { type: 'stall', afterBytes: 200_000 })
    const controller = new AbortController()
    const pending = download(
      request(path, destination, {
        signal: controller.signal,
        stallTimeoutMs: 600_000,
      }),
    )
    await waitFor(async () => ((await partSize(destination)) >= 200_000 ? true : undefined))
    controller.abort()
    await rejectsWith(pending, 'download.aborted')
    assert.ok(existsSync(`${destination}.part`))
    assert.ok(!existsSync(destination))
    const result = await download(request(path, destination, { sha256: sha(body) }))
    assert.equal(result.resumed, true)
    assert.deepEqual(await readFile(destination), body)
    assert.equal(server.bytesServed(path), body.length)
  })

  test('abort with keepPartial false removes the part; a stall past stallTimeoutMs is retried', async () => {
    const { path, body, destination } = fixture(300_000)
    server.fault(path, { type: 'stall', afterBytes: 100_000 })
    const controller = new AbortController()
    const pending = download(
      request(path, destination, {
        signal: controller.signal,
        keepPartial: false,
        stallTimeoutMs: 600_000,
      }),
    )
    await waitFor(async () => ((await partSize(destination)) >= 100_000 ? true : undefined))
    controller.abort()
    await rejectsWith(pending, 'download.aborted')
    assert.deepEqual(await leftovers(destination), [])
    server.fault(path, { type: 'stall', afterBytes: 100_000 })
    const result = await download(request(path, destination, { stallTimeoutMs: 300 }))
    assert.equal(result.resumed, true)
    assert.deepEqual(await readFile(destination), body)
  })

  test('the download continues after the process was killed, from the synced part', async () => {
    const { path, body, destination } = fixture(3 * 1024 * 1024)
    server.fault(path, { type: 'stall', afterBytes: 2.5 * 1024 * 1024 })
    const child = spawn(
      process.execPath,
      [
        '--conditions=@astarte-ts/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { download } from ${JSON.stringify(downloaderPath)}
await download({ url: process.env.URL, destination: process.env.DEST, stallTimeoutMs: 600000 })`,
      ],
      { env: { ...process.env, URL: server.url(path), DEST: destination }, stdio: 'ignore' },
    )
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const synced = await waitFor(async () => {
      const state = await readFile(`${destination}.part.json`, 'utf8').catch(() => '{}')
      const bytes = (JSON.parse(state) as { syncedBytes?: number }).syncedBytes ?? 0
      return bytes >= 2 * 1024 * 1024 ? bytes : undefined
    })
    child.kill('SIGKILL')
    await exited
    const result = await download(request(path, destination))
    assert.equal(result.resumed, true)
    assert.deepEqual(await readFile(destination), body)
    const resume = server.requests.filter((r) => r.path === path)[1]
    assert.equal(resume?.headers.range, `bytes=${synced}-`)
    assert.equal(resume.bytes, body.length - synced)
  })

  test('HTTPS with a configured CA; an untrusted certificate is a network error', async () => {
    const tls = await selfSignedCertificate()
    const secure = await startFaultyHttpServer({ tls })
    try {
      const body = randomBytes(100_000)
      secure.serve('/tls.bin', { body })
      const destination = join(tmp, 'tls.bin')
      await rejectsWith(
        download({
          url: secure.url('/tls.bin'),
          destination,
          retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        }),
        'download.network',
      )
      const result = await download({
        url: secure.url('/tls.bin'),
        destination,
        tls: { ca: tls.cert },
      })
      assert.equal(result.sha256, sha(body))
    } finally {
      await secure.close()
    }
  })

  test('redirects are followed; credentials go to another origin only if it is the same', async () => {
    const other = await startFaultyHttpServer()
    try {
      const body = randomBytes(20_000)
      other.serve('/moved.bin', { body })
      const { path, destination } = fixture(10)
      server.fault(path, { type: 'redirect', location: '/hop.bin' })
      server.fault('/hop.bin', { type: 'redirect', location: other.url('/moved.bin') })
      server.serve('/hop.bin', { body })
      const result = await download(
        request(path, destination, { headers: { authorization: 'Bearer s3cr3t', 'x-id': 'op-1' } }),
      )
      assert.equal(result.sha256, sha(body))
      const hop = server.requests.find((r) => r.path === '/hop.bin')
      assert.equal(hop?.headers.authorization, 'Bearer s3cr3t', 'same origin: kept')
      const moved = other.requests.find((r) => r.path === '/moved.bin')
      assert.equal(moved?.headers.authorization, undefined, 'another origin: dropped')
      assert.equal(moved?.headers['x-id'], 'op-1')
    } finally {
      await other.close()
    }
  })

  test('errors name the URL without its credentials or query', async () => {
    const url = new URL(server.url('/secret-path.bin'))
    url.username = 'user'
    url.password = 'hunter2'
    url.search = '?X-Amz-Signature=topsecret'
    const e = await rejectsWith(
      download({ url: url.toString(), destination: join(tmp, 'secret.bin') }),
      'download.http_status',
    )
    assert.ok(!/hunter2|topsecret|user/.test(e.message), e.message)
    assert.match(e.message, /127\.0\.0\.1:\d+\/secret-path\.bin\?…/)
  })

  test('bad requests are refused before any I/O, naming the field', async () => {
    for (const [field, req] of [
      ['url', { url: 'ftp://x/y', destination: join(tmp, 'x') }],
      ['sha256', { url: server.url('/x'), destination: join(tmp, 'x'), sha256: 'abc' }],
      ['maxBytes', { url: server.url('/x'), destination: join(tmp, 'x'), maxBytes: -1 }],
      [
        'retry',
        {
          url: server.url('/x'),
          destination: join(tmp, 'x'),
          retry: { attempts: 0, baseDelayMs: 1, maxDelayMs: 1 },
        },
      ],
    ] as const) {
      await assert.rejects(download(req), (e: unknown) => {
        assert.ok(e instanceof InvalidDownloadRequestError)
        assert.equal(e.field, field)
        return true
      })
    }
    assert.equal(server.requestCount('/x'), 0)
  })

  test('property: whatever the drop points, the file is byte-identical and each byte is sent once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200_000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
        fc.boolean(),
        async (size, fractions, chunked) => {
          const { path, body, destination } = fixture(size)
          server.serve(path, { body, chunked })
          const drops = fractions.map((f) => Math.floor(f * (size - 1)))
          for (const afterBytes of drops) server.fault(path, { type: 'drop', afterBytes })
          const result = await download(
            request(path, destination, { retry: { attempts: 4, baseDelayMs: 0, maxDelayMs: 0 } }),
          )
          assert.deepEqual(await readFile(destination), body)
          assert.equal(result.sha256, sha(body))
          assert.equal(server.bytesServed(path), size)
          assert.deepEqual(await leftovers(destination), [destination.slice(tmp.length + 1)])
          await rm(destination)
        },
      ),
      { numRuns: 30 },
    )
  })
})

const downloaderPath = fileURLToPath(new URL('../../src/transfer/downloader.ts', import.meta.url))

const partSize = async (destination: string): Promise<number> =>
  (await stat(`${destination}.part`).catch(() => ({ size: 0 }))).size

/** Polls `probe` until it yields a value (bounded by the test's own timeout). */
async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 20))
  }
}
