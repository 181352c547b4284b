/**
 * The `astarte-agent` process when something around it is wrong, as a device maker meets it: a
 * Pairing API that never answers a first-boot registration and a broker that never answers the
 * connection (a signal must still stop it at once, the broker's socket closed by the stop), a
 * first boot while the Pairing API is down or busy or its certificate is outside its validity
 * period by the agent's clock (retried in the same process until it registers) or refuses the
 * token or shows a certificate from a CA not trusted (exit 1 at once), the server going away and coming back (the
 * agent reconnects by itself and says so, each warning once), a registered device whose store
 * was wiped, a store directory it can't use, a CA file that isn't there and a full disk (each
 * named in one error record, exit 1). Real sandbox, real process, real tmpfs.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import { startSandbox, type Sandbox, type ServerCredentials } from '@astarte-ts/sandbox'
import { randomDeviceId, type Logger } from '@astarte-ts/sdk-core'
import { mountTmpfs } from './helpers/tmpfs.js'

const agentDir = new URL('..', import.meta.url).pathname
const edgehogDir = join(agentDir, '..', 'interfaces', 'edgehog')
const bin = join(agentDir, 'bin', 'astarte-agent.js')
const quiet: Logger = { log: () => undefined }

interface Agent {
  readonly proc: ChildProcess
  readonly stderr: () => string
  /** The exit code. */
  readonly exit: Promise<number | null>
}

const running = new Set<ChildProcess>()

function startAgent(config: string): Agent {
  let stderr = ''
  const proc = spawn(
    process.execPath,
    ['--conditions=@astarte-ts/source', '--import', 'tsx', bin, '--config', config],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } },
  )
  running.add(proc)
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exit = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc)
      resolve(code)
    }),
  )
  return { proc, stderr: () => stderr, exit }
}

// 60 s: an agent process's start under tsx can take over 20 s on a loaded machine
async function eventually<T>(what: string, poll: () => T, ok: (v: T) => boolean, ms = 60_000) {
  const end = Date.now() + ms
  let last: T | undefined
  while (Date.now() < end) {
    last = poll()
    if (ok(last)) return last
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`)
}

const newDeviceId = () => randomDeviceId(new Uint8Array(randomBytes(16)))

/** The log's lines, each checked to be one journald record. */
function records(log: string): string[] {
  const lines = log.trimEnd().split('\n')
  for (const line of lines) assert.match(line, /^<[3-7]>\S/, `not a record: ${line}`)
  return lines
}

/** A sandbox on `dataDir`'s realm, CA and ports, as one that was stopped comes back. */
function sandboxOnPorts(dataDir: string, httpPort: number, mqttPort: number): Promise<Sandbox> {
  return startSandbox({ logger: quiet, dataDir, httpPort, mqttPort, interfacesDir: edgehogDir })
}

/**
 * Sends `signal` once the agent opened a connection to `sockets`' server (past its start-up)
 * and checks the stop: exit 0 and the stop logged. Gives the log's records.
 */
async function stopOnceConnected(
  agent: Agent,
  sockets: readonly Socket[],
  what: string,
  signal: NodeJS.Signals,
): Promise<string[]> {
  await eventually(
    what,
    () => sockets.length,
    (n) => n > 0,
  )
  agent.proc.kill(signal)
  assert.equal(await agent.exit, 0)
  const log = records(agent.stderr())
  assert.ok(log.includes(`<6>stopping on signal {"signal":"${signal}"}`), log.join('\n'))
  return log
}

describe('the astarte-agent process against faults', () => {
  let sandbox: Sandbox
  let tmp: string

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'agent-faults-'))
    sandbox = await startSandbox({
      logger: quiet,
      dataDir: join(tmp, 'sandbox'),
      interfacesDir: edgehogDir,
    })
  })
  after(async () => {
    for (const proc of running) proc.kill('SIGKILL')
    await sandbox.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  const config = (name: string, lines: Record<string, string>) => {
    const file = join(tmp, `${name}.toml`)
    const v = {
      store: join(tmp, `${name}-store`),
      pairing: sandbox.pairingUrl,
      id: newDeviceId(),
      auth: `pairing_token = "${sandbox.jwt}"`,
      ca: `ca_file = "${sandbox.caFile}"`,
      extra: '',
      ...lines,
    }
    return {
      file,
      write: () =>
        writeFile(
          file,
          `store_directory = "${v.store}"
[astarte_device_sdk]
realm = "${sandbox.realm}"
device_id = "${v.id}"
pairing_url = "${v.pairing}"
${v.auth}
[ota]
enabled = false
[agent]
${v.ca}
${v.extra}
`,
        ),
    }
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} while a first-boot registration waits on the Pairing API: exit 0 at once`, async () => {
      // accepts the connection and never answers: the request would wait for its 30 s timeout
      const sockets: Socket[] = []
      const silent: Server = createServer((s) => void sockets.push(s))
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      const { port } = silent.address() as { port: number }
      try {
        const c = config(`silent-${signal}`, { pairing: `http://127.0.0.1:${port}/pairing` })
        await c.write()
        const agent = startAgent(c.file)
        await stopOnceConnected(agent, sockets, 'the registration request', signal)
        // ended by the signal, not by the request's timeout (then retried)
        assert.doesNotMatch(agent.stderr(), /remote\.http_timeout|couldn't register the device/)
        assert.doesNotMatch(agent.stderr(), new RegExp(sandbox.jwt.split('.')[2] as string))
      } finally {
        for (const s of sockets) s.destroy()
        await new Promise((resolve) => silent.close(resolve))
      }
    })
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} while the device connects to a broker that never answers: the socket closed by the stop, exit 0`, async (t) => {
      // accepts TCP, reads the TLS ClientHello, never writes: the connect would wait for its
      // 30 s timeout
      const sockets: Socket[] = []
      const closedBy = new Map<Socket, string>()
      let agent: Agent | undefined
      const silent: Server = createServer((s) => {
        sockets.push(s)
        s.on('data', () => undefined)
        s.on('error', () => undefined)
        s.on('end', () => closedBy.set(s, agent?.stderr() ?? ''))
      })
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      const { port } = silent.address() as { port: number }
      t.after(async () => {
        for (const s of sockets) s.destroy()
        await new Promise((resolve) => silent.close(resolve))
      })
      const pairing = await startSandbox({
        logger: quiet,
        dataDir: join(tmp, `silent-broker-${signal}`),
        interfacesDir: edgehogDir,
        broker: false,
        brokerUrl: `mqtts://127.0.0.1:${port}/`,
      })
      t.after(() => pairing.stop())
      const c = config(`silent-broker-${signal}`, {
        pairing: pairing.pairingUrl,
        auth: `pairing_token = "${pairing.jwt}"`,
        ca: `ca_file = "${pairing.caFile}"\nlog_level = "debug"`,
      })
      await c.write()
      agent = startAgent(c.file)
      const started = agent
      const log = await stopOnceConnected(started, sockets, 'the connection to the broker', signal)
      // every connection the device opened was closed by the stop, while the agent still ran:
      // before its last record, not by the process's exit
      await eventually(
        'the sockets closed',
        () => closedBy.size,
        (n) => n === sockets.length,
      )
      for (const before of closedBy.values()) {
        assert.doesNotMatch(before, /<6>agent stopped/, 'the socket outlived the stop')
      }
      // and before the connect timeout would have ended the attempt
      assert.doesNotMatch(started.stderr(), /remote\.connect_timeout|did not answer in time/)
    })
  }

  test('the server stopped and started again: reconnects by itself, says so, each warning once', async () => {
    const dataDir = join(tmp, 'restarted-sandbox')
    let server = await startSandbox({ logger: quiet, dataDir, interfacesDir: edgehogDir })
    const httpPort = Number(new URL(server.pairingUrl).port)
    const mqttPort = Number(new URL(server.mqttUrl).port)
    try {
      const c = config('restarted', {
        pairing: server.pairingUrl,
        auth: `pairing_token = "${server.jwt}"`,
        ca: `ca_file = "${server.caFile}"\nlog_level = "debug"`,
      })
      await c.write()
      const agent = startAgent(c.file)
      await eventually('connected', agent.stderr, (s) => s.includes('<6>connected to Astarte'))
      await server.stop()
      await eventually(
        'two refused retries',
        () => agent.stderr().split('the connection was refused').length - 1,
        (n) => n >= 2,
      )
      server = await sandboxOnPorts(dataDir, httpPort, mqttPort)
      // the device's backoff is at most 60 s; two refused attempts put the next within a few
      await eventually(
        'connected again',
        () => agent.stderr().split('<6>connected to Astarte').length - 1,
        (n) => n === 2,
        90_000,
      )
      agent.proc.kill('SIGTERM')
      assert.equal(await agent.exit, 0)
      const log = records(agent.stderr())
      const lost = log.filter((l) =>
        l.startsWith('<4>lost the connection to Astarte, reconnecting'),
      )
      assert.equal(lost.length, 1, log.join('\n'))
      // one record per warning: the device logs its own, the agent doesn't repeat them
      // (attempts are apart by the backoff, with state records between them at debug level)
      const warnings = log.filter((l) => l.startsWith('<4>'))
      assert.ok(warnings.length >= 3, log.join('\n'))
      log.forEach((line, i) => {
        if (line.startsWith('<4>')) assert.notEqual(line, log[i + 1], `repeated: ${line}`)
      })
    } finally {
      await server.stop()
    }
  })

  test('first boot while the Pairing API is down: retried with a warning each, registers and connects once it is up', async () => {
    const dataDir = join(tmp, 'late-sandbox')
    // started once for its ports, realm key and CA, then down as at a boot before the network
    const first = await startSandbox({ logger: quiet, dataDir, interfacesDir: edgehogDir })
    const httpPort = Number(new URL(first.pairingUrl).port)
    const mqttPort = Number(new URL(first.mqttUrl).port)
    await first.stop()
    let server: Sandbox | undefined
    try {
      const c = config('late', {
        pairing: first.pairingUrl,
        auth: `pairing_token = "${first.jwt}"`,
        ca: `ca_file = "${first.caFile}"`,
      })
      await c.write()
      const agent = startAgent(c.file)
      const retries = () =>
        agent.stderr().split("<4>couldn't register the device, retrying").length - 1
      await eventually('two refused registrations', retries, (n) => n >= 2)
      server = await sandboxOnPorts(dataDir, httpPort, mqttPort)
      // the registration's backoff after a few refusals is a few seconds at most
      await eventually(
        'connected',
        agent.stderr,
        (s) => s.includes('<6>connected to Astarte'),
        90_000,
      )
      assert.equal(agent.proc.exitCode, null, 'the same process, never restarted')
      agent.proc.kill('SIGTERM')
      assert.equal(await agent.exit, 0)
      const log = records(agent.stderr())
      const warnings = log.filter((l) => l.startsWith("<4>couldn't register the device, retrying"))
      assert.equal(warnings.length, retries())
      warnings.forEach((line, i) => {
        const ctx = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>
        assert.equal(ctx['attempt'], i + 1)
        assert.ok(typeof ctx['inMs'] === 'number' && ctx['inMs'] >= 0, line)
        assert.equal(ctx['code'], 'remote.connection_refused', line)
        assert.match(
          String(ctx['error']),
          /the connection was refused: nothing listens on 127\.0\.0\.1:/,
        )
      })
      assert.equal(log.filter((l) => l.startsWith('<6>device registered')).length, 1)
      assert.doesNotMatch(agent.stderr(), new RegExp(first.jwt.split('.')[2] as string))
      assert.equal((await fetchDevice(server, c.file)).status, 200)
    } finally {
      await server?.stop()
    }
  })

  test('a Pairing API answering 503, then 429: retried; registers once it answers', async (t) => {
    // in front of the sandbox's Pairing API: the first registrations get `busy`, the rest pass
    const busy = [503, 429]
    const seen: number[] = []
    const upstream = new URL(sandbox.pairingUrl)
    const front = createHttpServer((req, res) => {
      const status = busy.shift()
      if (status !== undefined) {
        seen.push(status)
        req.resume()
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end('{"errors":{"detail":"come back later"}}')
        return
      }
      forward(upstream, req, res)
    })
    const port = await listening(t, front)
    const c = config('busy', { pairing: `http://127.0.0.1:${port}/pairing` })
    await c.write()
    const agent = startAgent(c.file)
    await eventually('connected', agent.stderr, (s) => s.includes('<6>connected to Astarte'))
    agent.proc.kill('SIGTERM')
    assert.equal(await agent.exit, 0)
    assert.deepEqual(seen, [503, 429])
    const warnings = records(agent.stderr()).filter((l) =>
      l.startsWith("<4>couldn't register the device, retrying"),
    )
    assert.equal(warnings.length, 2)
    assert.match(warnings[0] ?? '', /http 503 come back later.*"code":"remote\.pairing_unexpected"/)
    assert.match(warnings[1] ?? '', /http 429 come back later/)
  })

  test("a Pairing API whose certificate is outside its validity period by this machine's clock: retried; registers once it is valid", async (t) => {
    // as at a first boot before NTP set the clock: the certificate comes right when the clock does
    const expired = await sandbox.issueServerCertificate(['127.0.0.1'], 1)
    const upstream = new URL(sandbox.pairingUrl)
    const front = createHttpsServer(tlsOptions(expired), (req, res) => forward(upstream, req, res))
    const port = await listening(t, front)
    // its notAfter is one second after its issue
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    const c = config('clock', { pairing: `https://127.0.0.1:${port}/pairing` })
    await c.write()
    const agent = startAgent(c.file)
    const retries = () =>
      agent.stderr().split("<4>couldn't register the device, retrying").length - 1
    await eventually('two refused handshakes', retries, (n) => n >= 2)
    front.setSecureContext(tlsOptions(await sandbox.issueServerCertificate(['127.0.0.1'])))
    await eventually('connected', agent.stderr, (s) => s.includes('<6>connected to Astarte'))
    assert.equal(agent.proc.exitCode, null, 'the same process, never restarted')
    agent.proc.kill('SIGTERM')
    assert.equal(await agent.exit, 0)
    const warnings = records(agent.stderr()).filter((l) =>
      l.startsWith("<4>couldn't register the device, retrying"),
    )
    assert.ok(warnings.length >= 2)
    for (const line of warnings) {
      const ctx = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>
      assert.equal(ctx['code'], 'remote.tls_untrusted', line)
      assert.match(String(ctx['error']), /outside its validity period \(CERT_HAS_EXPIRED\)/)
      assert.match(String(ctx['error']), /check this machine's clock/)
    }
    assert.equal((await fetchDevice(sandbox, c.file)).status, 200)
  })

  test('a Pairing API whose certificate no CA given trusts: exit 1 at once, never retried', async (t) => {
    const foreign = await startSandbox({
      logger: quiet,
      dataDir: join(tmp, 'foreign'),
      // its CA is all this test uses
      broker: false,
      brokerUrl: 'mqtts://127.0.0.1:1',
    })
    t.after(() => foreign.stop())
    const upstream = new URL(sandbox.pairingUrl)
    const front = createHttpsServer(
      tlsOptions(await foreign.issueServerCertificate(['127.0.0.1'])),
      (req, res) => forward(upstream, req, res),
    )
    const port = await listening(t, front)
    const c = config('untrusted', { pairing: `https://127.0.0.1:${port}/pairing` })
    await c.write()
    const agent = startAgent(c.file)
    assert.equal(await agent.exit, 1)
    const log = records(agent.stderr())
    assert.equal(log.filter((l) => l.startsWith('<4>')).length, 0, log.join('\n'))
    assert.match(log.at(-1) ?? '', /^<3>couldn't run the agent .*"code":"remote\.tls_untrusted"/)
  })

  test('a pairing token the realm did not sign: exit 1 at once, never retried', async () => {
    const [header, payload] = sandbox.jwt.split('.')
    const forged = `${header}.${payload}.${Buffer.from('not the realm key').toString('base64url')}`
    const c = config('forged', { auth: `pairing_token = "${forged}"` })
    await c.write()
    const agent = startAgent(c.file)
    assert.equal(await agent.exit, 1)
    const log = records(agent.stderr())
    assert.equal(log.filter((l) => l.startsWith('<4>')).length, 0, log.join('\n'))
    assert.match(
      log.at(-1) ?? '',
      /^<3>couldn't run the agent .*"code":"remote\.pairing_unauthorized"/,
    )
    assert.doesNotMatch(agent.stderr(), /not the realm key|bm90IHRoZSByZWFsbSBrZXk/)
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} while a first-boot registration waits to be retried: exit 0, no attempt after it`, async () => {
      // a port nothing listens on: every registration refused
      const closed = createServer()
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
      const { port } = closed.address() as { port: number }
      await new Promise((resolve) => closed.close(resolve))
      const c = config(`refused-${signal}`, { pairing: `http://127.0.0.1:${port}/pairing` })
      await c.write()
      const agent = startAgent(c.file)
      await eventually('a refused registration', agent.stderr, (s) =>
        s.includes("<4>couldn't register the device, retrying"),
      )
      agent.proc.kill(signal)
      assert.equal(await agent.exit, 0)
      const log = records(agent.stderr())
      const stopping = log.indexOf(`<6>stopping on signal {"signal":"${signal}"}`)
      assert.ok(stopping > 0, log.join('\n'))
      assert.deepEqual(log.slice(stopping + 1), [], 'nothing after the stop')
    })
  }

  test('a registered device whose store was wiped: exit 1 saying what to do', async () => {
    const c = config('wiped', {})
    await c.write()
    const first = startAgent(c.file)
    await eventually('connected', first.stderr, (s) => s.includes('<6>connected to Astarte'))
    first.proc.kill('SIGTERM')
    assert.equal(await first.exit, 0)
    await rm(join(tmp, 'wiped-store'), { recursive: true })
    const second = startAgent(c.file)
    assert.equal(await second.exit, 1)
    const log = records(second.stderr())
    assert.match(
      log.at(-1) ?? '',
      /^<3>couldn't run the agent .*"code":"remote\.device_already_registered".*"hint":"the device is registered but its credentials secret is not in store_directory: give astarte_device_sdk\.credentials_secret, or unregister/,
    )
  })

  test('a store directory that is a file: named, exit 1, nothing sent', async () => {
    const c = config('store-file', { store: join(tmp, 'store-file.toml') })
    await c.write()
    const agent = startAgent(c.file)
    assert.equal(await agent.exit, 1)
    const log = records(agent.stderr())
    assert.match(log.at(-1) ?? '', /^<3>couldn't prepare store_directory: .*"code":"EEXIST"/)
    assert.equal((await fetchDevice(sandbox, c.file)).status, 404)
  })

  test('a CA file that is not there: named as agent.ca_file, exit 1', async () => {
    const missing = join(tmp, 'no-such-ca.pem')
    const c = config('no-ca', { ca: `ca_file = "${missing}"` })
    await c.write()
    const agent = startAgent(c.file)
    assert.equal(await agent.exit, 1)
    const log = records(agent.stderr())
    assert.equal(
      log.at(-1),
      `<3>couldn't read agent.ca_file {"file":"${missing}","error":"ENOENT: no such file or directory, open '${missing}'","code":"ENOENT"}`,
    )
  })

  test('a full disk at first boot: the cause (ENOSPC) in the error, exit 1; registers once freed', async (t) => {
    const disk = await mountTmpfs(t, tmp, '1m')
    if (disk === undefined) return
    const filler = join(disk, 'filler')
    await writeFile(filler, Buffer.alloc(1024 * 1024)).catch(() => undefined)
    const c = config('full', { store: join(disk, 'store') })
    await c.write()
    const agent = startAgent(c.file)
    assert.equal(await agent.exit, 1)
    const log = records(agent.stderr())
    // tmpfs directories take no blocks: the store is made, the credentials secret can't be saved
    assert.match(
      log.at(-1) ?? '',
      /^<3>couldn't run the agent \{"error":"couldn't write .*credentials-secret".*"cause":"ENOSPC: no space left on device/,
    )
    assert.doesNotMatch(agent.stderr(), new RegExp(sandbox.jwt.split('.')[2] as string))

    await rm(filler)
    const again = startAgent(c.file)
    await eventually('connected', again.stderr, (s) => s.includes('<6>connected to Astarte'))
    again.proc.kill('SIGTERM')
    assert.equal(await again.exit, 0)
  })
})

/** The device of a config file written by this suite, as AppEngine knows it. */
/** Starts `server` on a free local port, closed after the test; gives the port. */
async function listening(t: TestContext, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as { port: number }).port
}

const tlsOptions = (c: ServerCredentials) => ({ cert: c.certPem, key: c.keyPem })

/** Passes a request on to `upstream` (the sandbox's Pairing API) and its answer back. */
function forward(upstream: URL, req: IncomingMessage, res: ServerResponse): void {
  const out = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port,
      path: req.url,
      method: req.method,
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    },
  )
  req.pipe(out)
}

async function fetchDevice(sandbox: Sandbox, file: string): Promise<{ status: number }> {
  const id = /device_id = "([^"]+)"/.exec(await readFile(file, 'utf8'))?.[1] ?? ''
  const res = await fetch(`${sandbox.appengineUrl}/v1/${sandbox.realm}/devices/${id}`, {
    headers: { authorization: `Bearer ${sandbox.jwt}` },
  })
  await res.body?.cancel()
  return { status: res.status }
}
