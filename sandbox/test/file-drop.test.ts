/** `/files/<name>`: bodies stored whole and served back with byte ranges. */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Sandbox } from '../src/index.js'
import { testSandbox } from './helpers.js'

describe('file drop (/files/<name>)', () => {
  let sb: Sandbox
  before(async () => {
    sb = await testSandbox()
  })
  after(() => sb.stop())

  it('stores a PUT or POST body and serves it back, whole or from an offset', async () => {
    const body = randomBytes(300_000)
    const put = await fetch(`${sb.filesUrl}/a.bin`, { method: 'PUT', body })
    assert.equal(put.status, 201)
    const get = await fetch(`${sb.filesUrl}/a.bin`)
    assert.equal(get.status, 200)
    assert.equal(get.headers.get('accept-ranges'), 'bytes')
    const etag = get.headers.get('etag') ?? ''
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), body)
    const ranged = await fetch(`${sb.filesUrl}/a.bin`, {
      headers: { range: 'bytes=100000-', 'if-range': etag },
    })
    assert.equal(ranged.status, 206)
    assert.equal(ranged.headers.get('content-range'), `bytes 100000-299999/300000`)
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), body.subarray(100_000))
    const stale = await fetch(`${sb.filesUrl}/a.bin`, {
      headers: { range: 'bytes=100000-', 'if-range': '"other"' },
    })
    assert.equal(stale.status, 200, 'another validator: the whole file')
    await stale.arrayBuffer()
    const post = await fetch(`${sb.filesUrl}/a.bin`, { method: 'POST', body: 'replaced' })
    assert.equal(post.status, 200)
    assert.equal(await (await fetch(`${sb.filesUrl}/a.bin`)).text(), 'replaced')
    assert.deepEqual(await readdir(join(sb.dataDir, 'files')), ['a.bin'])
  })

  it('answers 404 for a missing file or a name that is not a plain file name, 405 otherwise', async () => {
    assert.equal((await fetch(`${sb.filesUrl}/missing.bin`)).status, 404)
    assert.equal((await fetch(`${sb.filesUrl}/..`, { method: 'PUT', body: 'x' })).status, 404)
    assert.equal((await fetch(`${sb.filesUrl}/a%2Fb`, { method: 'PUT', body: 'x' })).status, 404)
    assert.equal((await fetch(`${sb.filesUrl}/x.bin`, { method: 'DELETE' })).status, 405)
  })
})
