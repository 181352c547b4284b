/**
 * The Espruino bundle in a real ES5 engine (Duktape's `duk`), with `shim.js` as its only host:
 * this process answers the shim's requests — timers in real time, TLS connections made here as
 * the chip's mbedTLS would make them (errors worded as Espruino reports mbedTLS's), HTTPS for
 * Pairing — and steps the program with `call(code)`. A fault hook cuts a connection at a chosen
 * MQTT packet from the broker, before the engine sees it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { fileURLToPath } from 'node:url'

const SHIM = fileURLToPath(new URL('./shim.js', import.meta.url))

interface Message {
  readonly op: string
  readonly id: number
  readonly [key: string]: unknown
}

const derToPem = (label: string, b64: string): string =>
  `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`

/** How Espruino words a failed TLS handshake (mbedTLS's code in its message). */
function espruinoError(e: NodeJS.ErrnoException): string {
  const text = `${e.code ?? ''} ${e.message}`
  if (/alert/i.test(text)) return 'mbedtls_ssl_handshake returned -0x7780'
  if (/CERT|certificate|self.signed|UNABLE_TO/i.test(text)) {
    return 'mbedtls_ssl_handshake returned -0x2700'
  }
  if (e.code === 'ECONNREFUSED') return 'Connection refused'
  return e.message
}

/**
 * The TLS the engine's host offers. `'espruino-2v29'` is Espruino 2v29's mbedTLS 2.1.1
 * (libs/crypto/mbedtls/config.h, libs/network/network.c): TLS 1.2 with the RSA and DHE-RSA key
 * exchanges only (AES-GCM/CBC), RSA signatures only (no ECDSA: an EC broker or device key can't
 * be used), and no verification of the broker (`MBEDTLS_SSL_VERIFY_NONE`: `ca` is parsed, never
 * checked) unless `verifyBroker` models a build that verifies (mbedTLS then fails the handshake
 * with -0x2700). `'any'`: TLS 1.2 with OpenSSL's suites and the broker verified against `ca`,
 * for the EC sandbox (a complete mbedTLS).
 */
export interface EngineTls {
  readonly suites: 'espruino-2v29' | 'any'
  readonly verifyBroker: boolean
}

export const ESPRUINO_2V29_TLS: EngineTls = { suites: 'espruino-2v29', verifyBroker: false }
const ANY_TLS: EngineTls = { suites: 'any', verifyBroker: true }

/** Suites of Espruino 2v29's mbedTLS (OpenSSL names), signature algorithms it can check. */
const ESPRUINO_CIPHERS = [
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-SHA256',
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
  'AES256-SHA256',
  'AES128-SHA256',
  'AES256-SHA',
  'AES128-SHA',
].join(':')
const ESPRUINO_SIGALGS = 'RSA+SHA512:RSA+SHA384:RSA+SHA256:RSA+SHA1'

/** One completed handshake: what was negotiated and the certificates involved (DER, base64). */
export interface TlsSession {
  /** IANA name, e.g. `TLS_DHE_RSA_WITH_AES_256_GCM_SHA384`. */
  readonly cipher: string
  /** The broker's certificates as it sent them, leaf first. */
  readonly peerChain: readonly string[]
  /** The trust anchor the device gave (`ca`), if any. */
  readonly ca: string | undefined
  /** The device's own certificate and key (PKCS#8). */
  readonly cert: string
  readonly key: string
}

/** MQTT packet type (high nibble of the first byte) of each whole frame in `buf`, and the rest. */
function frames(buf: Buffer): { packets: Buffer[]; rest: Buffer } {
  const packets: Buffer[] = []
  let at = 0
  for (;;) {
    let len = 0
    let mul = 1
    let i = at + 1
    for (; i < buf.length; i++) {
      const b = buf[i] as number
      len += (b & 0x7f) * mul
      mul *= 128
      if ((b & 0x80) === 0) break
    }
    if (i >= buf.length || i + 1 + len > buf.length) break
    packets.push(buf.subarray(at, i + 1 + len))
    at = i + 1 + len
  }
  return { packets, rest: buf.subarray(at) }
}

export interface Fault {
  /** MQTT packet type (e.g. 5 PUBREC) at which the connection is cut. */
  readonly packetType: number
  /** Resolves once the cut happened. */
  readonly done: Promise<void>
}

export class DukEngine {
  readonly logs: string[] = []
  /** Errors the engine reported uncaught (Espruino would print `Uncaught …`). */
  readonly uncaught: string[] = []
  /** Handshakes that completed, in order. */
  readonly tlsSessions: TlsSession[] = []
  /** Output that was not the shim's: the engine's own errors. */
  readonly stray: string[] = []
  readonly #proc: ChildProcessWithoutNullStreams
  readonly #timers = new Map<number, NodeJS.Timeout>()
  readonly #sockets = new Map<number, TLSSocket>()
  readonly #calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #nextCall = 1
  #buffer = ''
  #fault: { type: number; hit: () => void } | undefined
  #deviceFault: { type: number; hit: () => void } | undefined
  #exited = false
  readonly exited: Promise<number | null>

  readonly #tls: EngineTls

  /** Starts `duk` on the shim and then `scripts` (the bundle first), with the host's `tls`. */
  constructor(scripts: readonly string[], tls: EngineTls = ANY_TLS) {
    this.#tls = tls
    this.#proc = spawn('duk', ['-i', SHIM, ...scripts], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.exited = new Promise((resolve) => {
      this.#proc.on('exit', (code) => {
        this.#exited = true
        for (const c of this.#calls.values()) c.reject(new Error(`duk exited (${code})`))
        this.#calls.clear()
        resolve(code)
      })
    })
    this.#proc.stdout.setEncoding('latin1')
    this.#proc.stdout.on('data', (chunk: string) => this.#read(chunk))
    this.#proc.stderr.setEncoding('utf8')
    this.#proc.stderr.on('data', (chunk: string) => this.stray.push(chunk))
  }

  /**
   * Evaluates `code` in the engine; resolves with its value (a promise's, once settled). A
   * generous deadline turns a hang into a failure that shows what the engine said.
   */
  call(code: string, timeoutMs = 90_000): Promise<unknown> {
    const id = this.#nextCall++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#calls.delete(id)
        reject(
          new Error(
            `no answer to ${code.slice(0, 80)} within ${timeoutMs} ms\n${this.diagnostics()}`
          )
        )
      }, timeoutMs)
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer)
          fn(v)
        }
      this.#calls.set(id, { resolve: settle(resolve), reject: settle(reject) })
      this.#send(`__host.call(${id}, ${JSON.stringify(code)})`)
    })
  }

  /** What the engine logged and reported, for a failure message. */
  diagnostics(): string {
    return [
      ...this.logs.map((l) => `log: ${l}`),
      ...this.uncaught.map((l) => `uncaught: ${l}`),
      ...this.stray.map((l) => `engine: ${l}`),
    ].join('\n')
  }

  /** Cuts the next connection's traffic at the first broker packet of `packetType`. */
  cutAt(packetType: number): Fault {
    let hit = (): void => undefined
    const done = new Promise<void>((resolve) => {
      hit = resolve
    })
    this.#fault = { type: packetType, hit }
    return { packetType, done }
  }

  /**
   * Cuts the next connection at the first write of the device holding a packet of `packetType`
   * (e.g. 5 PUBREC): that write is lost with the connection, as the network would lose it.
   */
  cutDeviceAt(packetType: number): Fault {
    let hit = (): void => undefined
    const done = new Promise<void>((resolve) => {
      hit = resolve
    })
    this.#deviceFault = { type: packetType, hit }
    return { packetType, done }
  }

  async stop(): Promise<void> {
    for (const t of this.#timers.values()) clearTimeout(t)
    this.#timers.clear()
    for (const s of this.#sockets.values()) s.destroy()
    this.#sockets.clear()
    if (!this.#exited) {
      this.#proc.stdin.end()
      this.#proc.kill()
    }
    await this.exited
  }

  #send(line: string): void {
    if (!this.#exited) this.#proc.stdin.write(`${line}\n`)
  }

  #read(chunk: string): void {
    this.#buffer += chunk
    let nl: number
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl)
      this.#buffer = this.#buffer.slice(nl + 1)
      const at = line.indexOf('\u0001')
      if (at < 0) {
        const text = line.replace(/^(duk> )+/, '').trim()
        if (text !== '' && !text.startsWith('= ') && !text.startsWith('((o) Duktape')) {
          this.stray.push(text)
        }
        continue
      }
      this.#handle(JSON.parse(line.slice(at + 1)) as Message)
    }
  }

  #handle(m: Message): void {
    switch (m.op) {
      case 'log':
        this.logs.push(String(m['text']))
        return
      case 'uncaught':
        this.uncaught.push(String(m['error']))
        return
      case 'result': {
        const call = this.#calls.get(m.id)
        this.#calls.delete(m.id)
        if (m['ok'] === true) call?.resolve(m['value'])
        else call?.reject(new Error(String(m['value'])))
        return
      }
      case 'timer':
        this.#timers.set(
          m.id,
          setTimeout(() => {
            this.#timers.delete(m.id)
            this.#send(`__host.fire(${m.id})`)
          }, Number(m['ms']))
        )
        return
      case 'untimer':
        clearTimeout(this.#timers.get(m.id))
        this.#timers.delete(m.id)
        return
      case 'tls.connect':
        return this.#connect(m)
      case 'tls.write': {
        const bytes = Buffer.from(String(m['data']), 'base64')
        const fault = this.#deviceFault
        if (
          fault !== undefined &&
          frames(bytes).packets.some((p) => (p[0] as number) >> 4 === fault.type)
        ) {
          this.#deviceFault = undefined
          this.#sockets.get(m.id)?.destroy()
          fault.hit()
          return
        }
        this.#sockets.get(m.id)?.write(bytes)
        return
      }
      case 'tls.end':
        this.#sockets.get(m.id)?.end()
        return
      case 'http':
        return this.#http(m)
      case 'storage':
        return
      default:
        this.stray.push(`unknown request ${m.op}`)
    }
  }

  #tlsEvent(id: number, what: string, arg?: string): void {
    this.#send(
      `__host.tls(${id}, ${JSON.stringify(what)}${arg === undefined ? '' : `, ${JSON.stringify(arg)}`})`
    )
  }

  #connect(m: Message): void {
    const { id } = m
    const ca = m['ca'] as string | undefined
    const tls = this.#tls
    const verify = ca !== undefined && tls.verifyBroker
    const socket = tlsConnect({
      host: String(m['host']),
      port: Number(m['port']),
      key: derToPem('PRIVATE KEY', String(m['key'])),
      cert: derToPem('CERTIFICATE', String(m['cert'])),
      ...(verify ? { ca: derToPem('CERTIFICATE', ca) } : { rejectUnauthorized: false }),
      servername: String(m['host']),
      // mbedTLS in Espruino speaks TLS 1.2 only
      maxVersion: 'TLSv1.2',
      ...(tls.suites === 'espruino-2v29'
        ? { ciphers: ESPRUINO_CIPHERS, sigalgs: ESPRUINO_SIGALGS }
        : {}),
    })
    this.#sockets.set(id, socket)
    let pending: Buffer = Buffer.alloc(0)
    let failed: string | undefined
    // As Espruino does: the callback when TCP connects, before the handshake; a failed handshake
    // is no `error` event but `close`, then an InternalError thrown from the event loop.
    let tcp = false
    let secure = false
    socket.on('connect', () => {
      tcp = true
      this.#tlsEvent(id, 'connect')
    })
    socket.on('secureConnect', () => {
      secure = true
      const peerChain: string[] = []
      const seen = new Set<string>()
      for (let c = socket.getPeerCertificate(true); c?.raw !== undefined; c = c.issuerCertificate) {
        const der = c.raw.toString('base64')
        if (seen.has(der)) break
        seen.add(der)
        peerChain.push(der)
      }
      this.tlsSessions.push({
        cipher: socket.getCipher().standardName,
        peerChain,
        ca,
        cert: String(m['cert']),
        key: String(m['key']),
      })
    })
    socket.on('data', (data: Buffer) => {
      const { packets, rest } = frames(Buffer.concat([pending, data]))
      pending = rest
      for (const p of packets) {
        const fault = this.#fault
        if (fault !== undefined && (p[0] as number) >> 4 === fault.type) {
          this.#fault = undefined
          failed = 'Connection reset'
          socket.destroy()
          fault.hit()
          return
        }
        this.#tlsEvent(id, 'data', p.toString('base64'))
      }
    })
    socket.on('error', (e) => {
      failed ??= espruinoError(e)
    })
    socket.on('close', () => {
      this.#sockets.delete(id)
      if (failed !== undefined && tcp && !secure) return this.#tlsEvent(id, 'fail', failed)
      if (failed !== undefined) this.#tlsEvent(id, 'error', failed)
      this.#tlsEvent(id, 'close')
    })
  }

  #http(m: Message): void {
    const { id } = m
    const ca = m['ca'] as string | undefined
    const body = m['body'] as string | undefined
    const request = m['protocol'] === 'https:' ? httpsRequest : httpRequest
    const req = request(
      {
        host: String(m['host']),
        port: Number(m['port']),
        path: String(m['path']),
        method: String(m['method']),
        headers: m['headers'] as Record<string, string>,
        // Espruino's TLS for https: as for its sockets (verification only when modelled)
        ...(ca !== undefined && this.#tls.verifyBroker
          ? { ca: derToPem('CERTIFICATE', ca) }
          : { rejectUnauthorized: false }),
        maxVersion: 'TLSv1.2',
        ...(this.#tls.suites === 'espruino-2v29'
          ? { ciphers: ESPRUINO_CIPHERS, sigalgs: ESPRUINO_SIGALGS }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          this.#send(
            `__host.http(${id}, ${res.statusCode ?? 0}, ${JSON.stringify(Buffer.concat(chunks).toString('base64'))})`
          )
        )
      }
    )
    // TCP connected, the handshake not done: Espruino throws mbedTLS's failure (status -2)
    let tcp = false
    let secure = false
    req.on('socket', (socket) => {
      socket.once('connect', () => (tcp = true))
      socket.once('secureConnect', () => (secure = true))
    })
    req.on('error', (e) => {
      const failedHandshake = m['protocol'] === 'https:' && tcp && !secure
      const text = failedHandshake ? espruinoError(e) : e.message
      this.#send(`__host.http(${id}, ${failedHandshake ? -2 : -1}, ${JSON.stringify(text)})`)
    })
    req.end(body === undefined ? undefined : Buffer.from(body, 'latin1'))
  }
}
