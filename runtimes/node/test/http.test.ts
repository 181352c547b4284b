import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { SdkError } from '@astarte-ts/sdk-core'
import type { LogLevel } from '@astarte-ts/sdk-core'
import { fetchHttpClient } from '../src/http/index.js'
import { createCa, issueCertificate } from './helpers/pki.js'

const listen = async (
  t: TestContext,
  server: Server,
  scheme: 'http' | 'https',
): Promise<string> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const readAll = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const echo: RequestListener = async (req: IncomingMessage, res: ServerResponse) => {
  const body = await readAll(req)
  res.writeHead(req.url === '/missing' ? 404 : 201, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      auth: req.headers.authorization,
      ct: req.headers['content-type'],
      body,
    }),
  )
}

const https = async (t: TestContext, handler: RequestListener) => {
  const ca = await createCa('http test ca')
  const leaf = await issueCertificate(ca, {
    commonName: 'localhost',
    lifetimeSec: 3600,
    serverNames: ['127.0.0.1', 'localhost'],
  })
  const server = createHttpsServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, handler)
  return { ca, base: await listen(t, server, 'https') }
}

const waitFor = async (ok: () => boolean): Promise<void> => {
  while (!ok()) await new Promise((r) => setTimeout(r, 5))
}

const secret = 'Bearer eyJhbGciOiJFUzI1NiJ9.c2VjcmV0.sig'

const noSecret = (e: unknown): boolean => {
  const text = `${String(e)} ${JSON.stringify((e as SdkError).ctx)}`
  return !text.includes('eyJhbGci')
}

test('http: method, headers, JSON body and status travel both ways', async (t) => {
  const base = await listen(t, createServer(echo), 'http')
  const client = fetchHttpClient()
  const res = await client.request({
    method: 'POST',
    url: `${base}/v1/r/agent/devices?x=1`,
    headers: { authorization: secret, 'content-type': 'application/json' },
    body: '{"data":{"hw_id":"é"}}',
  })
  assert.equal(res.status, 201)
  assert.deepEqual(JSON.parse(res.body), {
    method: 'POST',
    url: '/v1/r/agent/devices?x=1',
    auth: secret,
    ct: 'application/json',
    body: '{"data":{"hw_id":"é"}}',
  })
  const missing = await client.request({ method: 'GET', url: `${base}/missing`, headers: {} })
  assert.equal(missing.status, 404)
})

test('https with the given CA succeeds; without it fails remote.tls_untrusted', async (t) => {
  const { ca, base } = await https(t, echo)
  const ok = await fetchHttpClient({ caPem: ca.certPem }).request({
    method: 'GET',
    url: `${base}/info`,
    headers: { authorization: secret },
  })
  assert.equal(ok.status, 201)
  await assert.rejects(
    fetchHttpClient().request({
      method: 'GET',
      url: `${base}/info`,
      headers: { authorization: secret },
    }),
    (e: unknown) =>
      e instanceof SdkError &&
      e.code === 'remote.tls_untrusted' &&
      /not trusted.*--ca FILE/.test(e.message) &&
      noSecret(e),
  )
})

test('ignoreTlsErrors accepts an unknown CA and warns on every request', async (t) => {
  const { base } = await https(t, echo)
  const warnings: [LogLevel, string][] = []
  const client = fetchHttpClient({
    ignoreTlsErrors: true,
    logger: { log: (l, m) => warnings.push([l, m]) },
  })
  for (let i = 0; i < 2; i++) {
    assert.equal(
      (await client.request({ method: 'DELETE', url: `${base}/x`, headers: {} })).status,
      201,
    )
  }
  assert.equal(warnings.filter(([l]) => l === 'warn').length, 2)
})

test('a server that never answers: remote.http_timeout after timeoutMs', async (t) => {
  const base = await listen(
    t,
    createServer(() => undefined),
    'http',
  )
  const started = Date.now()
  await assert.rejects(
    fetchHttpClient({ timeoutMs: 200 }).request({
      method: 'GET',
      url: base,
      headers: { authorization: secret },
    }),
    (e: unknown) => e instanceof SdkError && e.code === 'remote.http_timeout' && noSecret(e),
  )
  assert.ok(Date.now() - started >= 190)
})

test('a signal abandons a request: the connection closed at once, rejected with its reason', async (t) => {
  // never answers: only the signal can end the request before its 30 s deadline
  const closed: Promise<void>[] = []
  const base = await listen(
    t,
    createServer((req) => void closed.push(new Promise((r) => req.socket.once('close', r)))),
    'http',
  )
  const client = fetchHttpClient()
  const request = { method: 'POST' as const, url: base, headers: { authorization: secret } }
  const controller = new AbortController()
  const pending = client.request(request, { signal: controller.signal })
  await waitFor(() => closed.length === 1)
  controller.abort()
  // Node's signal gives a reason of its own, as fetch rejects
  await assert.rejects(pending, (e: unknown) => (e as Error).name === 'AbortError')
  await closed[0]

  const why = new Error('stopping')
  const second = new AbortController()
  const again = client.request(request, { signal: second.signal })
  await waitFor(() => closed.length === 2)
  second.abort(why)
  await assert.rejects(again, (e: unknown) => e === why)
  await closed[1]

  // aborted before it starts: no connection at all
  await assert.rejects(
    client.request(request, { signal: AbortSignal.abort(why) }),
    (e: unknown) => e === why,
  )
  assert.equal(closed.length, 2)
  // a signal of an engine that gives no reason
  const bare = { aborted: true, addEventListener: () => undefined, removeEventListener: () => {} }
  await assert.rejects(
    client.request(request, { signal: bare }),
    (e: unknown) => e instanceof SdkError && e.code === 'local.aborted',
  )
})

test('a signal aborted after the answer changes nothing', async (t) => {
  const base = await listen(t, createServer(echo), 'http')
  const controller = new AbortController()
  const answer = await fetchHttpClient().request(
    { method: 'GET', url: base, headers: {} },
    { signal: controller.signal },
  )
  controller.abort()
  assert.equal(answer.status, 201)
  assert.equal((JSON.parse(answer.body) as { method: string }).method, 'GET')
})

test('a response over the cap is refused', async (t) => {
  const base = await listen(
    t,
    createServer((_req, res) => {
      res.writeHead(200)
      res.end('x'.repeat(10_000))
    }),
    'http',
  )
  await assert.rejects(
    fetchHttpClient({ maxResponseBytes: 4096 }).request({ method: 'GET', url: base, headers: {} }),
    { code: 'remote.http_failed', message: "couldn't accept a response over 4096 bytes" },
  )
  assert.equal(
    (
      await fetchHttpClient({ maxResponseBytes: 10_000 }).request({
        method: 'GET',
        url: base,
        headers: {},
      })
    ).body.length,
    10_000,
  )
})

test('connection refused and bad URLs are typed; query strings stay out of errors', async (t) => {
  const server = createServer()
  const base = await listen(t, server, 'http')
  server.close()
  await new Promise((r) => setTimeout(r, 20))
  await assert.rejects(
    fetchHttpClient().request({ method: 'GET', url: `${base}/p?token=abc`, headers: {} }),
    (e: unknown) =>
      e instanceof SdkError &&
      e.code === 'remote.connection_refused' &&
      /refused/.test(e.message) &&
      !JSON.stringify(e.ctx).includes('abc') &&
      !e.message.includes('abc'),
  )
  await assert.rejects(
    fetchHttpClient().request({ method: 'GET', url: 'not a url', headers: {} }),
    { code: 'local.invalid_url' },
  )
  await assert.rejects(fetchHttpClient().request({ method: 'GET', url: 'ftp://x/', headers: {} }), {
    code: 'local.invalid_url',
  })
})
