/**
 * @module byte stream: sdk-core's `ByteStreamConnector` on Moddable's `SecureSocket` (mutual TLS,
 * DER key and certificates). A write takes at most the room the socket has (`write()` without
 * arguments answers it; a larger write throws), the rest waits for `writable`; events are
 * delivered from the socket's callbacks or a `Timer` turn, never from within `write`/`end`.
 */
import {
  SdkError,
  type ByteStream,
  type ByteStreamConnector,
  type ByteStreamEvents,
  type ByteStreamOptions,
} from '@astarte-ts/sdk-core'
import SecureSocket, { type SecureOptions } from 'securesocket'
import { Socket } from 'socket'
import Timer from 'timer'
import { pemToDer, toArrayBuffer } from './pem.js'

/** TLS 1.2 at least (Astarte's brokers). */
const TLS_1_2 = 0x303

/** The `secure` dictionary for our key and certificate, and the broker's CA when given. */
export function secureOptions(options: {
  readonly certificatePem?: string
  readonly privateKeyPem?: string
  readonly caPem?: string | undefined
  readonly ignoreTlsErrors: boolean
}): SecureOptions {
  const secure: SecureOptions = { protocolVersion: TLS_1_2 }
  if (options.caPem !== undefined) secure.certificate = toArrayBuffer(pemToDer(options.caPem))
  if (options.privateKeyPem !== undefined && options.certificatePem !== undefined) {
    secure.clientKey = toArrayBuffer(pemToDer(options.privateKeyPem))
    secure.clientCertificates = [toArrayBuffer(pemToDer(options.certificatePem))]
  }
  if (options.ignoreTlsErrors) secure.verify = false
  return secure
}

class SecureByteStream implements ByteStream {
  readonly #socket: SecureSocket
  readonly #events: ByteStreamEvents
  readonly #out: Uint8Array[] = []
  #open = false
  #ending = false
  #closed = false

  constructor(options: ByteStreamOptions, events: ByteStreamEvents) {
    this.#events = events
    this.#socket = new SecureSocket({
      host: options.host,
      port: options.port,
      secure: secureOptions(options),
    })
    this.#socket.callback = (message) => this.#on(message)
  }

  #on(message: number): void {
    if (this.#closed) return
    if (message === Socket.connected) {
      this.#open = true
      this.#events.open()
      // No `writable` follows the handshake (Moddable's socket reports one only after a write
      // of its own): what is queued goes now, in the room `write()` reports.
      this.#flush()
    } else if (message === Socket.readable) {
      this.#events.data(new Uint8Array(this.#socket.read(ArrayBuffer)))
    } else if (message === Socket.writable) {
      this.#flush()
    } else if (message === Socket.disconnected || message === Socket.error) {
      const code = this.#open ? 'remote.connection_lost' : 'remote.connect_failed'
      this.#close(this.#ending ? undefined : new SdkError(code, 'the tls connection closed'))
    }
  }

  #flush(): void {
    let room = this.#out.length > 0 ? this.#socket.write() : 0
    while (room > 0 && this.#out.length > 0) {
      const next = this.#out[0] as Uint8Array
      const chunk = next.length <= room ? next : next.subarray(0, room)
      this.#socket.write(toArrayBuffer(chunk))
      room -= chunk.length
      if (chunk === next) this.#out.shift()
      else this.#out[0] = next.subarray(chunk.length)
    }
    if (this.#ending && this.#out.length === 0) this.#shut()
  }

  #shut(): void {
    try {
      this.#socket.close()
    } finally {
      Timer.set(() => this.#close(undefined))
    }
  }

  #close(error: SdkError | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#events.close(error)
  }

  write(bytes: Uint8Array): void {
    if (this.#ending || this.#closed) return
    this.#out.push(bytes)
    if (this.#open) this.#flush()
  }

  end(): void {
    if (this.#ending || this.#closed) return
    this.#ending = true
    if (!this.#open || this.#out.length === 0) this.#shut()
  }
}

/** Opens mutual-TLS byte streams with `SecureSocket`. */
export const secureSocketConnector: ByteStreamConnector = {
  connect: (options, events) => new SecureByteStream(options, events),
}
