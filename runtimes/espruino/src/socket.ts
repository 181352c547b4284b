/**
 * @module socket: sdk-core's `ByteStreamConnector` over Espruino's `tls` module (mbedTLS on
 * ESP32), the network half of `SessionTransport`. Espruino calls `tls.connect`'s callback when
 * TCP connects, before the handshake, so `open` comes then and the MQTT CONNECT waits in the
 * socket for the handshake; a handshake that fails is thrown by Espruino as an uncaught
 * InternalError, not emitted as `error`, and is seen here as a close before CONNACK
 * (`remote.connect_failed`). Errors that do arrive as `error` are coded by mbedTLS's code in
 * their message: a fatal alert from the broker (-0x7780) as the broker refusing our
 * certificate, a failed verification (-0x2700) as us not trusting the broker's.
 */
import { SdkError } from '@astarte-ts/sdk-core'
import type {
  ByteStream,
  ByteStreamConnector,
  ByteStreamOptions,
  SdkErrorCode,
} from '@astarte-ts/sdk-core'
import { fromBinary, pemToBinary, toBinary } from './bytes.js'
import type { EspruinoTls } from './espruino.js'

const CODES: readonly (readonly [RegExp, SdkErrorCode])[] = [
  [/-0x7780/, 'remote.certificate_rejected'],
  [/-0x2700|verif/i, 'remote.tls_untrusted'],
  [/refused/i, 'remote.connection_refused'],
  [/dns|resolve|host not found/i, 'remote.dns_failed'],
]

/** Espruino's error (an object with `message`, or a string) as the transport contract codes it. */
export function classifySocketError(
  error: unknown,
  opened: boolean,
  where: { readonly host: string; readonly port: number },
): SdkError {
  const text =
    typeof error === 'string' ? error : String((error as { message?: unknown })?.message ?? '')
  let code: SdkErrorCode = opened ? 'remote.connection_lost' : 'remote.connect_failed'
  if (!opened) for (const [re, c] of CODES) if (re.test(text)) code = c
  const verb = opened ? "couldn't keep the connection to" : "couldn't connect to"
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

/** Opens mutual-TLS streams with `tls.connect`. */
export function tlsConnector(tls: EspruinoTls): ByteStreamConnector {
  return {
    connect(options: ByteStreamOptions, events): ByteStream {
      const where = { host: options.host, port: options.port }
      let opened = false
      let ended = false
      let closed = false
      let firstError: unknown
      const socket = tls.connect(
        {
          host: options.host,
          port: options.port,
          key: pemToBinary(options.privateKeyPem),
          cert: pemToBinary(options.certificatePem),
          // without `ca` Espruino doesn't verify the broker: only when checks are off
          ...(options.ignoreTlsErrors ? {} : { ca: pemToBinary(requireCa(options.caPem, where)) }),
        },
        () => {
          opened = true
          if (!closed) events.open()
        },
      )
      socket.on('data', (data) => {
        if (!closed) events.data(fromBinary(data))
      })
      socket.on('error', (e) => {
        if (firstError === undefined) firstError = e
      })
      socket.on('close', () => {
        if (closed) return
        closed = true
        if (ended) return events.close()
        events.close(
          classifySocketError(
            firstError ?? (opened ? 'the broker closed it' : 'closed'),
            opened,
            where,
          ),
        )
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
