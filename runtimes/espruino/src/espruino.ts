/**
 * @module espruino: the parts of Espruino's documented API the runtime uses, typed, and how it
 * reaches them. Espruino's modules come from its own `require`.
 */

/** A socket of `require("net")` / `require("tls")`: 8-bit strings in and out. */
export interface EspruinoSocket {
  write(data: string): void
  end(): void
  on(event: 'data', fn: (data: string) => void): void
  on(event: 'close' | 'end', fn: () => void): void
  on(event: 'error', fn: (error: { message?: string; code?: number } | string) => void): void
}

export interface EspruinoTls {
  connect(
    options: {
      host: string
      port: number
      ca?: string
      key: string
      cert: string
    },
    connected: () => void,
  ): EspruinoSocket
}

export interface EspruinoHttpResponse {
  readonly statusCode: number | string
  on(event: 'data', fn: (data: string) => void): void
  on(event: 'close', fn: () => void): void
}

export interface EspruinoHttpRequest {
  on(event: 'error', fn: (error: { message?: string } | string) => void): void
  on(event: 'close', fn: () => void): void
  end(body?: string): void
}

export interface EspruinoHttp {
  request(
    options: {
      protocol: string
      host: string
      port: number
      path: string
      method: string
      headers: Record<string, string | number>
      ca?: string
    },
    onResponse: (res: EspruinoHttpResponse) => void,
  ): EspruinoHttpRequest
}

/** `require("Storage")`: named flash files; `read` gives `undefined` for a missing one. */
export interface EspruinoStorage {
  read(name: string): string | undefined
  readJSON(name: string, noExceptions: boolean): unknown
  write(name: string, data: string): boolean
  writeJSON(name: string, data: unknown): boolean
  erase(name: string): void
  /** Every file's name. */
  list(): string[]
}

/**
 * Espruino's global `process`, for its `uncaughtException` event: an exception that reaches the
 * event loop goes to its listeners (in order, until one calls `E.stopEventPropagation()`), and
 * is printed only when there are none or when a listener throws (`jsiCheckErrors` in
 * src/jsinteractive.c). Listeners are kept in an array that `removeListener` empties but never
 * deletes, and an empty array still counts as a listener: once added, a listener is best kept.
 */
export interface EspruinoProcess {
  /** Adds `fn` before the other listeners. */
  prependListener(event: 'uncaughtException', fn: (error: unknown) => void): void
}

declare const E: { stopEventPropagation?: () => void } | undefined

/**
 * `E.stopEventPropagation()`: within an event listener, the listeners after it don't get the
 * event.
 */
export function stopEventPropagation(): void {
  if (typeof E !== 'undefined') E.stopEventPropagation?.()
}

/** The Espruino modules a device uses; tests hand in their own. */
export interface EspruinoModules {
  readonly tls: EspruinoTls
  readonly http: EspruinoHttp
  readonly Storage: EspruinoStorage
  /** The global `process`; without it a failed handshake is reported without its reason. */
  readonly process?: EspruinoProcess
}

// Defined by the bundle's prelude: esbuild would rewrite a `require` inside the bundle.
declare const __require: (name: string) => unknown

/** Espruino's module `name`. */
export function espruinoModule<T>(name: string): T {
  return __require(name) as T
}

declare const process: EspruinoProcess | undefined

/** The built-in modules of the engine the bundle runs in. */
export function builtInModules(): EspruinoModules {
  return {
    tls: espruinoModule('tls'),
    http: espruinoModule('http'),
    Storage: espruinoModule('Storage'),
    ...(typeof process === 'undefined' ? {} : { process }),
  }
}
