/**
 * The downloader against a real HTTP server that drops, corrupts, stalls and changes its
 * files: every outcome is a verified file at the destination or a typed error with nothing
 * half-written taken for complete.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DownloadError, download, type DownloadRequest } from '../../src/transfer/downloader.js'
import { startFaultyHttpServer, type FaultyHttpServer } from '../helpers/faulty-http-server.js'

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
    const start = Number(/^bytes=(\d+)-$/.exec(second.headers.range ?? '')?.[1])
    assert.equal(second.status, 206)
    assert.match(String(second.headers['if-range']), /^"[0-9a-f]{16}"$/)
    assert.ok(start > 0 && start <= 300_000, `continued from ${start}`)
    assert.equal(second.bytes, body.length - start)
  })
})
