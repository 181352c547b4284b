// Moddable's `http` client `Request`: callbacks `status`, `responseComplete` (the body as a
// String with `response: String`), `error`. The host performs the request (TLS included). A body
// goes as the real module takes it: a string or ArrayBuffer written at once, which must fit the
// socket's free room (1 KiB on Moddable's lin socket: the real write throws beyond), or `true`,
// the fragments asked for through `requestFragment` once the request runs, `undefined` ending them.
import { host, register, unregister, toBase64 } from './host.js'

/** What a write may take at once: the lin socket's transmit buffer (modSocket.c). */
const ROOM = 1024

export class Request {
  static requestFragment = 0
  static status = 1
  static header = 2
  static headersComplete = 3
  static responseFragment = 4
  static responseComplete = 5
  static error = -2

  #id

  constructor(dictionary) {
    const { body } = dictionary
    this.#id = register((report) => {
      unregister(this.#id)
      if (report.event === 'error') {
        this.callback?.(Request.error)
        return
      }
      this.callback?.(Request.status, report.status)
      this.callback?.(Request.headersComplete)
      this.callback?.(Request.responseComplete, report.body)
    })
    if (typeof body === 'string' && body.length > ROOM) {
      throw new Error("can't write all data")
    }
    // the real Request asks for fragments after its socket connected, never in the constructor
    if (body === true) Promise.resolve().then(() => this.#send(dictionary, this.#fragments()))
    else this.#send(dictionary, body)
  }

  #fragments() {
    const parts = []
    for (;;) {
      const fragment = this.callback?.(Request.requestFragment, ROOM)
      if (fragment === undefined) break
      if (fragment.byteLength > ROOM) throw new Error("can't write all data")
      parts.push(new Uint8Array(fragment))
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of parts) {
      all.set(p, at)
      at += p.length
    }
    return all.buffer
  }

  #send(dictionary, body) {
    const { host: name, port, path, method = 'GET', headers = [], secure = {} } = dictionary
    host({
      op: 'http',
      id: this.#id,
      tls: dictionary.Socket !== undefined,
      host: name,
      port,
      path,
      method,
      headers,
      ...(body instanceof ArrayBuffer ? { bodyBase64: toBase64(body) } : { body }),
      ca: secure.certificate === undefined ? undefined : toBase64(secure.certificate),
    })
  }

  close() {
    unregister(this.#id)
  }
}
