// Moddable's `http` client `Request`: callbacks `status`, `responseComplete` (the body as a
// String with `response: String`), `error`. The host performs the request (TLS included).
import { host, register, unregister, toBase64 } from './host.js'

export class Request {
  static status = 1
  static header = 2
  static headersComplete = 3
  static responseFragment = 4
  static responseComplete = 5
  static error = -2

  #id

  constructor(dictionary) {
    const { host: name, port, path, method = 'GET', headers = [], body, secure = {} } = dictionary
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
    host({
      op: 'http',
      id: this.#id,
      tls: dictionary.Socket !== undefined,
      host: name,
      port,
      path,
      method,
      headers,
      body,
      ca: secure.certificate === undefined ? undefined : toBase64(secure.certificate),
    })
  }

  close() {
    unregister(this.#id)
  }
}
