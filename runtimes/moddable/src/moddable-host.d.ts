/**
 * The Moddable SDK modules the runtime uses, typed from their documentation (only what is used):
 * `timer`, `socket`'s callback protocol as `securesocket` follows it, `http`'s `Request`,
 * `preference`, and zlib's `inflate`/`deflate` (modules/data/zlib).
 */
declare module 'timer' {
  export type TimerId = unknown
  /** `Timer.set(fn)` runs `fn` once, immediately after the current turn. */
  const Timer: {
    set(callback: () => void, delayMs?: number): TimerId
    clear(id: TimerId): void
  }
  export default Timer
}

declare module 'socket' {
  export interface SocketCallbacks {
    connected: number
    disconnected: number
    error: number
    readable: number
    writable: number
  }
  export const Socket: SocketCallbacks
}

declare module 'securesocket' {
  /** TLS options (`secure`): DER buffers, as Moddable's SSL reads them. */
  export interface SecureOptions {
    protocolVersion?: number
    certificate?: ArrayBuffer
    clientKey?: ArrayBuffer
    clientCertificates?: ArrayBuffer[]
    verify?: boolean
  }
  export default class SecureSocket {
    constructor(dictionary: { host: string; port: number; secure: SecureOptions })
    callback: (message: number, value?: number) => void
    read(type: typeof ArrayBuffer): ArrayBuffer
    /** The room for a write now (bytes; TLS overhead taken off). */
    write(): number
    /** Throws when `data` exceeds the room. */
    write(data: ArrayBuffer): void
    close(): void
  }
}

declare module 'http' {
  import type SecureSocket from 'securesocket'
  import type { SecureOptions } from 'securesocket'
  export class Request {
    constructor(dictionary: {
      host: string
      port: number
      path: string
      method: string
      /** Alternating names and values. */
      headers: string[]
      /**
       * The whole body, written in one socket write (it must fit the socket's free room), or
       * `true`: the body is asked for in fragments (`requestFragment`, value = the room), the
       * callback returning each, `undefined` at the end; no `content-length` is added then.
       */
      body?: string | ArrayBuffer | true
      response: typeof String
      Socket?: typeof SecureSocket
      secure?: SecureOptions
    })
    /** Returns the next body fragment for `requestFragment`. */
    callback: (message: number, value?: unknown, etc?: unknown) => ArrayBuffer | undefined
    close(): void
    static readonly requestFragment: number
    static readonly status: number
    static readonly responseComplete: number
    static readonly error: number
  }
}

declare module 'preference' {
  const Preference: {
    get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined
    set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void
    delete(domain: string, key: string): void
    keys(domain: string): string[]
  }
  export default Preference
}

declare module 'inflate' {
  export default class Inflate {
    constructor(options?: object)
    push(data: ArrayBuffer, end?: boolean): void
    readonly result: ArrayBuffer
  }
}

declare module 'deflate' {
  export default class Deflate {
    constructor(options?: object)
    push(data: ArrayBuffer, end?: boolean): void
    readonly result: ArrayBuffer
  }
}

/** Moddable's debug output (xsbug / serial). */
declare function trace(...text: string[]): void
