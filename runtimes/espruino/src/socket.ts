/**
 * @module socket: sdk-core's `ByteStreamConnector` over Espruino's `tls` module (mbedTLS on
 * ESP32), the network half of `SessionTransport`. Espruino calls `tls.connect`'s callback when
 * TCP connects, before the handshake, so `open` comes then and the MQTT CONNECT waits in the
 * socket for the handshake; the first bytes received (CONNACK) prove the handshake done. A
 * handshake that fails is thrown by Espruino as an uncaught InternalError after the socket's
 * `close` (see `handshake-errors.ts`), its `error` event at most "unsent data" (code -8, the
 * CONNECT still queued): a close before any data is reported one task later, with the thrown
 * error when the engine threw one. mbedTLS's code in it says why: a fatal alert from the broker
 * (-0x7780) is the broker refusing our certificate, a failed verification (-0x2700, or the
 * post-handshake `mbedtls_x509_crt_verify`) us not trusting its.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type {
  ByteStream,
  ByteStreamConnector,
  ByteStreamOptions,
  SdkErrorCode,
  Timers,
} from '@astarte-ts/sdk-core'
import { fromBinary, pemToBinary, toBinary } from './bytes.js'
import type { EspruinoSocket, EspruinoTls } from './espruino.js'
import {
  thrownMessage,
  tlsFailure,
  type HandshakeErrors,
  type TlsFailure,
} from './handshake-errors.js'

// A fatal alert is any alert, also "no suite in common", but the alert's number isn't exposed:
// counted as a refused certificate, whose renewal waits a backoff when refused again (sdk-core).
const CODES: Readonly<Record<TlsFailure, SdkErrorCode>> = {
  alert: 'remote.certificate_rejected',
  untrusted: 'remote.tls_untrusted',
  refused: 'remote.connection_refused',
  dns: 'remote.dns_failed',
}

// Thrown by `tls.connect` itself: our key, certificate or CA unusable by mbedTLS.
const UNUSABLE_CREDENTIALS = /HTTPS init failed|own_cert|Public key type mismatch/

/**
 * Espruino's error (an object with `message`, or a string) as the transport contract codes it:
 * before the connection is `established` (data received), as `MqttTransport.connect` rejects.
 */
export function classifySocketError(
  error: unknown,
  established: boolean,
  where: { readonly host: string; readonly port: number },
): SdkError {
  const text = thrownMessage(error)
  let code: SdkErrorCode = established ? 'remote.connection_lost' : 'remote.connect_failed'
  if (!established) {
    const kind = tlsFailure(text)
    if (kind !== undefined) code = CODES[kind]
  }
  const verb = established ? "couldn't keep the connection to" : "couldn't connect to"
  return new SdkError(code, `${verb} ${where.host}:${where.port}: ${text}`, { ctx: where })
}

/** Espruino has no CA store: the trust anchor must come with the device's credentials. */
function requireCa(caPem: string | undefined, where: Record<string, unknown>): string {
  if (caPem !== undefined) return caPem
  throw new SdkError(
    'local.invalid_config',
    "couldn't connect: Espruino has no CA store; give the broker's CA (caPem in the credentials)",
    { ctx: where },
  )
}

/** What `tls.connect` threw synchronously (a host not found, credentials mbedTLS can't parse). */
function connectThrew(error: unknown, where: { host: string; port: number }): SdkError {
  const text = thrownMessage(error)
  if (UNUSABLE_CREDENTIALS.test(text)) {
    return new SdkError(
      'local.invalid_config',
      `couldn't connect to ${where.host}:${where.port}: Espruino's TLS can't use the credentials: ${text}`,
      { ctx: where },
    )
  }
  return classifySocketError(error, false, where)
}

/**
 * Opens mutual-TLS streams with `tls.connect`. `handshakeErrors` (from `process`) gives a failed
 * handshake its reason; without it such a failure is `remote.connect_failed`.
 */
export function tlsConnector(
  tls: EspruinoTls,
  timers: Timers,
  handshakeErrors?: HandshakeErrors,
): ByteStreamConnector {
  return {
    connect(options: ByteStreamOptions, events): ByteStream {
      const where = { host: options.host, port: options.port }
      let established = false
      let ended = false
      let closed = false
      let firstError: unknown
      const ca = options.ignoreTlsErrors ? undefined : requireCa(options.caPem, where)
      let socket: EspruinoSocket
      try {
        socket = tls.connect(
          {
            host: options.host,
            port: options.port,
            key: pemToBinary(options.privateKeyPem),
            cert: pemToBinary(options.certificatePem),
            // without `ca` Espruino doesn't verify the broker: only when checks are off
            ...(ca === undefined ? {} : { ca: pemToBinary(ca) }),
          },
          () => {
            if (!closed) events.open()
          },
        )
      } catch (e) {
        throw connectThrew(e, where)
      }
      socket.on('data', (data) => {
        established = true
        if (!closed) events.data(fromBinary(data))
      })
      socket.on('error', (e) => {
        if (firstError === undefined) firstError = e
      })
      socket.on('close', () => {
        if (closed) return
        closed = true
        if (established || handshakeErrors === undefined) {
          if (ended) return events.close()
          const reason = firstError ?? (established ? 'the broker closed it' : 'closed')
          return events.close(classifySocketError(reason, established, where))
        }
        // a failed handshake is thrown after this callback, in the same pass of the event loop;
        // the `error` before it, if any, is its consequence ("unsent data": our CONNECT). Also
        // when we ended it meanwhile: taken, not left for the application's listeners.
        const expected = handshakeErrors.expect()
        timers.set(() => {
          const reason = expected.read() ?? firstError ?? 'closed'
          if (ended) events.close()
          else events.close(classifySocketError(reason, false, where))
        }, 0)
      })
      return {
        write(bytes) {
          if (!closed) socket.write(toBinary(bytes))
        },
        end() {
          if (ended) return
          ended = true
          socket.end()
        },
      }
    },
  }
}
