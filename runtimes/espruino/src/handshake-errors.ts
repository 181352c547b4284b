/**
 * @module handshake errors: why Espruino's TLS handshake failed, which its event loop throws as an
 * uncaught `InternalError` ("mbedtls_ssl_handshake returned -0x7780") instead of emitting `error`
 * on the socket (libs/network/network.c, `ssl_getSocketData`): the socket sees only `close`. In
 * one loop pass the engine runs the socket's `end`/`close` callbacks first and then hands the
 * exception to `process`'s `uncaughtException` listeners (`jsiCheckErrors`), so a socket that
 * closed before any data `expect()`s the error and reads it in a later task (a timer).
 *
 * The listener, put first at the first such close and kept (Espruino's emptied listener arrays
 * still count as listeners, so removing it would silence every later uncaught error), takes only
 * an mbedTLS failure thrown in the same pass as one of our closes, and stops its propagation;
 * anything else it throws again, and Espruino prints it as `Uncaught …` as it would without the
 * listener. An application with its own listener still gets every other error; those are then
 * printed as well.
 */
import type { EspruinoProcess } from './espruino.js'
import { stopEventPropagation } from './espruino.js'

/**
 * Whether Espruino's network code threw `message` for a failed TLS setup or handshake (what
 * `/^(mbedtls_|HTTPS init failed)/` accepts: Espruino's RegExp has no alternating group).
 */
export function isTlsFailure(message: string): boolean {
  return message.startsWith('mbedtls_') || message.startsWith('HTTPS init failed')
}

/** What a failed connection's message (in Espruino's words) says, for each adapter to code. */
export type TlsFailure = 'alert' | 'untrusted' | 'refused' | 'dns'

// mbedTLS 2.1.1 as Espruino 2v29 words it ("mbedtls_ssl_handshake returned -0x7780"): -0x7780
// is a fatal alert from the peer (any alert: its number isn't exposed), -0x2700 or a
// post-handshake `mbedtls_x509_crt_verify` our not trusting the peer's certificate.
const KINDS: readonly (readonly [RegExp, TlsFailure])[] = [
  [/-0x7780/, 'alert'],
  [/-0x2700|x509_crt_verify|verif/i, 'untrusted'],
  [/refused/i, 'refused'],
  [/dns|resolve|host not found|locate host/i, 'dns'],
]

/** Why a connection failed, from Espruino's message; `undefined`: nothing more specific. */
export function tlsFailure(text: string): TlsFailure | undefined {
  return KINDS.find(([re]) => re.test(text))?.[1]
}

/** The message of what the engine threw (an Error, or any value). */
export function thrownMessage(error: unknown): string {
  if (typeof error === 'string') return error
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : String(error)
}

/** A handshake error awaited for one closed socket. */
export interface ExpectedError {
  /** What the engine threw for it, once the pass that closed it is over; `undefined`: nothing. */
  read(): string | undefined
}

export interface HandshakeErrors {
  /** Call in the `close` callback of a socket that closed before any data. */
  expect(): ExpectedError
}

/** Handshake errors from `process`'s `uncaughtException` event. */
export function handshakeErrors(proc: EspruinoProcess): HandshakeErrors {
  let listening = false
  const waiting: { error: string | undefined }[] = []
  const onUncaught = (error: unknown): void => {
    const message = thrownMessage(error)
    const slot = waiting.find((w) => w.error === undefined)
    // not ours: thrown again, Espruino reports it as if nobody listened
    if (slot === undefined || !isTlsFailure(message)) throw error
    slot.error = message
    // the device's own, reported by it: not the application's listeners' business
    stopEventPropagation()
  }
  return {
    expect() {
      if (!listening) {
        listening = true
        // first, so that the application's listeners don't get what it takes
        proc.prependListener('uncaughtException', onUncaught)
      }
      const slot: { error: string | undefined } = { error: undefined }
      waiting.push(slot)
      return {
        read() {
          const at = waiting.indexOf(slot)
          if (at >= 0) waiting.splice(at, 1)
          return slot.error
        },
      }
    },
  }
}
