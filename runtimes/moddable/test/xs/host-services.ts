/**
 * The test process's side of the engine shim (test/xs/engine/*.js): what Moddable implements in
 * C on the chip — timers, the TLS socket (TLS done here, as the chip's TLS stack would, with the
 * DER material the device hands its `SecureSocket`), the HTTP client, `Preference` storage and
 * zlib — performed for the XS engine, with its reports sent back to the engine.
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect, type TLSSocket } from 'node:tls'
import { deflateSync, inflateSync } from 'node:zlib'

type Json = Record<string, unknown>
/** One `Preference` value: a string, number or boolean, or an ArrayBuffer as base64. */
export type PreferenceValue = string | number | boolean | { readonly base64: string }
export type Preferences = Map<string, Map<string, PreferenceValue>>

const pem = (base64: unknown, label: string): string | undefined =>
  typeof base64 === 'string'
    ? `-----BEGIN ${label}-----\n${base64.replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`
    : undefined

/** Room a socket reports as writable, as an ESP32 socket buffer would. */
const ROOM = 4096

export interface HostOptions {
  readonly preferences: Preferences
  /** Sends a report to the engine (its `handleCommand`). */
  readonly report: (report: Json) => void
  /** What the app running in the engine reports (`op: 'report'`). */
  readonly onAppReport: (report: Json) => void
  /**
   * Sees every chunk the device writes to a socket before it goes out; `'drop'` loses it and
   * the connection (a network failure right then).
   */
  readonly onDeviceBytes?: (bytes: Buffer) => 'forward' | 'drop'
  readonly trace?: boolean
}

export class HostServices {
  readonly #o: HostOptions
  readonly #timers = new Map<number, NodeJS.Timeout>()
  readonly #sockets = new Map<number, TLSSocket>()
  #closed = false
  /** Every TLS connection the device opened: the client certificate it presented (base64 DER). */
  readonly connections: (string | undefined)[] = []
  /** While true the network is down: connections fail, open ones were cut (`dropConnections`). */
  offline = false
  /** Every HTTP request the device made. */
  readonly requests: { readonly method: string; readonly path: string; readonly body?: string }[] =
    []

  constructor(options: HostOptions) {
    this.#o = options
  }

  #report(report: Json): void {
    if (!this.#closed) this.#o.report(report)
  }

  /** Answers one `issueCommand` of the engine. */
  handle(request: Json): unknown {
    const id = request['id'] as number
    switch (request['op']) {
      case 'timer': {
        const fire = () => this.#report({ id })
        const ms = request['ms'] as number
        this.#timers.set(
          id,
          request['repeat'] === true ? setInterval(fire, ms) : setTimeout(fire, ms),
        )
        return undefined
      }
      case 'clearTimer':
        clearTimeout(this.#timers.get(id))
        this.#timers.delete(id)
        return undefined
      case 'tlsConnect':
        this.#connect(id, request)
        return undefined
      case 'tlsWrite': {
        const socket = this.#sockets.get(id)
        const bytes = Buffer.from(request['data'] as string, 'base64')
        if (socket === undefined) return undefined
        if ((this.#o.onDeviceBytes?.(bytes) ?? 'forward') === 'drop') {
          socket.destroy()
          return undefined
        }
        socket.write(bytes, () => this.#report({ id, event: 'writable', room: ROOM }))
        return undefined
      }
      case 'tlsClose': {
        const socket = this.#sockets.get(id)
        this.#sockets.delete(id)
        socket?.end()
        return undefined
      }
      case 'http':
        this.#http(id, request)
        return undefined
      case 'prefGet':
        return this.#domain(request).get(request['key'] as string)
      case 'prefSet':
        this.#domain(request).set(request['key'] as string, request['value'] as PreferenceValue)
        return undefined
      case 'prefDelete':
        this.#domain(request).delete(request['key'] as string)
        return undefined
      case 'prefKeys':
        return [...this.#domain(request).keys()]
      case 'inflate':
      case 'deflate':
        try {
          const input = Buffer.concat(
            (request['data'] as string[]).map((c) => Buffer.from(c, 'base64')),
          )
          const out = request['op'] === 'inflate' ? inflateSync(input) : deflateSync(input)
          return { data: out.toString('base64') }
        } catch (e) {
          return { error: String(e) }
        }
      case 'trace':
        if (this.#o.trace === true) process.stderr.write(`[xs] ${String(request['text'])}`)
        return undefined
      case 'report':
        this.#o.onAppReport(request)
        return undefined
      default:
        throw new Error(`the engine asked for ${String(request['op'])}`)
    }
  }

  #domain(request: Json): Map<string, PreferenceValue> {
    const name = request['domain'] as string
    let domain = this.#o.preferences.get(name)
    if (domain === undefined) {
      domain = new Map()
      this.#o.preferences.set(name, domain)
    }
    return domain
  }

  #connect(id: number, r: Json): void {
    if (this.offline) {
      setImmediate(() => this.#report({ id, event: 'error' }))
      return
    }
    let open = false
    const key = pem(r['key'], 'PRIVATE KEY')
    const cert = pem(r['cert'], 'CERTIFICATE')
    this.connections.push(r['cert'] as string | undefined)
    const ca = pem(r['ca'], 'CERTIFICATE')
    const socket = connect({
      host: r['host'] as string,
      port: r['port'] as number,
      ...(key === undefined ? {} : { key }),
      ...(cert === undefined ? {} : { cert }),
      ...(ca === undefined ? {} : { ca }),
      rejectUnauthorized: r['verify'] !== false,
    })
    this.#sockets.set(id, socket)
    socket.on('secureConnect', () => {
      open = true
      this.#report({ id, event: 'connected', room: ROOM })
    })
    socket.on('data', (data: Buffer) =>
      this.#report({ id, event: 'data', data: data.toString('base64') }),
    )
    socket.on('error', () => undefined)
    socket.on('close', () => {
      // a socket the device closed reports nothing (Moddable calls back no more after close())
      if (this.#sockets.get(id) !== socket) return
      this.#sockets.delete(id)
      this.#report({ id, event: open ? 'disconnected' : 'error' })
    })
  }

  #http(id: number, r: Json): void {
    const headers: Record<string, string> = {}
    const list = r['headers'] as string[]
    for (let i = 0; i + 1 < list.length; i += 2) headers[list[i] as string] = list[i + 1] as string
    const ca = pem(r['ca'], 'CERTIFICATE')
    const body =
      typeof r['bodyBase64'] === 'string'
        ? Buffer.from(r['bodyBase64'], 'base64').toString('utf8')
        : r['body']
    this.requests.push({
      method: r['method'] as string,
      path: r['path'] as string,
      ...(typeof body === 'string' ? { body } : {}),
    })
    if (this.offline) {
      setImmediate(() => this.#report({ id, event: 'error' }))
      return
    }
    const send = r['tls'] === true ? httpsRequest : httpRequest
    const req = send(
      {
        host: r['host'] as string,
        port: r['port'] as number,
        path: r['path'] as string,
        method: r['method'] as string,
        headers,
        ...(ca === undefined ? {} : { ca }),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          this.#report({
            id,
            status: res.statusCode,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    req.on('error', () => this.#report({ id, event: 'error' }))
    req.end(typeof body === 'string' ? body : undefined)
  }

  /** The TLS connections the device has open. */
  get openSockets(): number {
    return this.#sockets.size
  }

  /** Cuts every connection, as a network failure would (the device sees them drop). */
  dropConnections(): void {
    for (const socket of this.#sockets.values()) socket.destroy()
  }

  close(): void {
    this.#closed = true
    for (const t of this.#timers.values()) clearTimeout(t)
    for (const s of this.#sockets.values()) s.destroy()
  }
}
