/**
 * @module tls byte stream: sdk-core's `ByteStreamConnector` over `node:tls` (mutual TLS, spec
 * §3.1), and `sessionTransport`, the `MqttTransport` sdk-core's `SessionTransport` makes of it:
 * the code path of the runtimes without an MQTT client of their own, run on Node. Failures are
 * named by the same classifier as MQTT.js's transport, so certificate renewal sees the same codes.
 */
import { isIP } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { SdkError, SessionTransport } from '@astarte-ts/sdk-core'
import type {
  ByteStream,
  ByteStreamConnector,
  ByteStreamEvents,
  ByteStreamOptions,
  Clock,
  Logger,
  TimerHandle,
  Timers,
} from '@astarte-ts/sdk-core'
import { classifyConnectError } from './classify-connect-error.js'

/** Opens TLS streams with `node:tls`; TLS 1.2 or later, SNI = the host unless it is an address. */
export const tlsByteStreamConnector = {
  connect(options: ByteStreamOptions, events: ByteStreamEvents): ByteStream {
    const { host, port } = options
    const where = { host, port }
    let socket: TLSSocket
    try {
      socket = tlsConnect({
        host,
        port,
        cert: options.certificatePem,
        key: options.privateKeyPem,
        ...(options.caPem === undefined ? {} : { ca: options.caPem }),
        rejectUnauthorized: !options.ignoreTlsErrors,
        // spec §3.1: SNI = broker host (Astarte's ingress routes 8883 by SNI); never an IP (RFC 6066)
        ...(isIP(host) === 0 ? { servername: host } : {}),
      })
    } catch (cause) {
      // node:tls refuses unusable key material synchronously (e.g. key and certificate mismatch)
      throw classifyConnectError(cause, where)
    }
    socket.setNoDelay(true)
    let opened = false
    let ended = false
    let firstError: unknown
    socket.on('secureConnect', () => {
      opened = true
      events.open()
    })
    socket.on('data', (chunk: Buffer) =>
      events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    )
    socket.on('error', (e) => {
      firstError ??= e
    })
    socket.once('close', () => {
      if (ended) return events.close()
      if (firstError !== undefined) return events.close(classifyConnectError(firstError, where))
      const message = opened
        ? `couldn't keep the connection to ${host}:${port}: the broker closed it`
        : `couldn't connect to ${host}:${port}: closed during the TLS handshake`
      events.close(
        new SdkError(opened ? 'remote.connection_lost' : 'remote.connect_failed', message, {
          ctx: where,
        }),
      )
    })
    return {
      write(bytes) {
        if (!socket.destroyed) socket.write(bytes)
      },
      end() {
        if (ended) return
        ended = true
        // what was written (a DISCONNECT) goes first; a handshake in progress is simply cut
        if (opened) socket.end(() => socket.destroy())
        else socket.destroy()
      },
    }
  },
} satisfies ByteStreamConnector

export interface SessionTransportNodeOptions {
  /** Receives the `ignoreTlsErrors` warning. */
  readonly logger?: Logger
  /** Deadline for TCP + TLS + CONNACK; default 30 s. */
  readonly connectTimeoutMs?: number
  /** The session's in-flight window; default 65 535 (the device paces its publishes itself). */
  readonly maxInflight?: number
  /** Time for keepalive; `Date.now` by default. */
  readonly clock?: Clock
  /** `setTimeout` by default. */
  readonly timers?: Timers
}

const hostTimers: Timers = {
  set: (fn, delayMs): TimerHandle => setTimeout(fn, delayMs),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * sdk-core's `SessionTransport` over `node:tls`: an `MqttTransport` with no MQTT client library,
 * the same one the ESP32 runtimes run (`Device.open({ ports: { transport: sessionTransport() } })`).
 */
export function sessionTransport(options: SessionTransportNodeOptions = {}): SessionTransport {
  return new SessionTransport({
    connector: tlsByteStreamConnector,
    timers: options.timers ?? hostTimers,
    clock: options.clock ?? { now: () => Date.now() },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.maxInflight === undefined ? {} : { maxInflight: options.maxInflight }),
  })
}
