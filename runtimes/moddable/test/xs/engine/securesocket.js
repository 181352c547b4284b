// Moddable's `securesocket`: a TLS client socket with the `socket` callback protocol. The host
// does the TLS, as the chip's TLS stack would, with the DER material of the `secure` dictionary.
// As the real one: `write()` answers the room, a write beyond it throws, and `writable` comes
// only after writes (none after the handshake).
import { fromBase64, host, register, unregister, toBase64 } from './host.js'
import { Socket } from './socket.js'

const der = (buffer) => (buffer === undefined ? undefined : toBase64(buffer))

export default class SecureSocket {
  #id
  #received = []
  #closed = false
  #room = 0

  constructor(dictionary) {
    const { host: name, port, secure = {} } = dictionary
    this.#id = register((report) => this.#report(report))
    host({
      op: 'tlsConnect',
      id: this.#id,
      host: name,
      port,
      ca: der(secure.certificate),
      key: der(secure.clientKey),
      cert: der(secure.clientCertificates?.[0]),
      verify: secure.verify !== false,
    })
  }

  #report(report) {
    if (this.#closed) return
    if (report.event === 'data') {
      const bytes = fromBase64(report.data)
      this.#received.push(bytes)
      this.callback?.(Socket.readable, bytes.byteLength)
    } else if (report.event === 'connected') {
      this.#room = report.room
      this.callback?.(Socket.connected)
    } else if (report.event === 'writable') {
      this.#room = report.room
      this.callback?.(Socket.writable, report.room)
    } else {
      this.#closed = true
      unregister(this.#id)
      this.callback?.(report.event === 'error' ? Socket.error : Socket.disconnected)
    }
  }

  /** Everything received and not read yet. */
  read(type) {
    if (type !== ArrayBuffer) throw new Error('this shim reads ArrayBuffers')
    const total = this.#received.reduce((n, b) => n + b.byteLength, 0)
    const out = new Uint8Array(total)
    let at = 0
    for (const b of this.#received) {
      out.set(new Uint8Array(b), at)
      at += b.byteLength
    }
    this.#received = []
    return out.buffer
  }

  write(buffer) {
    if (buffer === undefined) return this.#closed ? 0 : this.#room
    if (this.#closed) throw new Error('socket closed')
    if (buffer.byteLength > this.#room) throw new Error("can't write all data")
    this.#room -= buffer.byteLength
    host({ op: 'tlsWrite', id: this.#id, data: toBase64(buffer) })
  }

  close() {
    if (this.#closed) return
    this.#closed = true
    unregister(this.#id)
    host({ op: 'tlsClose', id: this.#id })
  }
}
