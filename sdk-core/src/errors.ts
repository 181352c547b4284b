/**
 * @module errors: the two failure shapes of sdk-core.
 * Validation failures are data (`Issue`, returned in a `Result`); runtime failures are one
 * error class (`SdkError`) whose `code` is a stable literal prefixed `local.` (our side, or the
 * caller's input) or `remote.` (what a peer sent).
 */

/** A validation finding: a stable `code`, where it was found, and a human sentence. */
export interface Issue {
  /** Stable, snake_case identifier of the rule that was broken, e.g. `endpoint_syntax`. */
  readonly code: string
  /**
   * Where: a JSON Pointer (RFC 6901) into the validated document (`/mappings/2/endpoint`), or for
   * runtime values the Astarte path (`/sensor1/temperature`). `''` is the whole input.
   */
  readonly path: string
  /** Lower-case sentence naming what was wrong; never contains secrets. */
  readonly message: string
}

/** Outcome of a validation: the validated value, or the issues that prevent it. */
export type Result<T, E = readonly Issue[]> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E }

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value })
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error })

/** Stable error code: `local.*` for our or the caller's fault, `remote.*` for a peer's. */
export type SdkErrorCode = `local.${string}` | `remote.${string}`

export interface SdkErrorOptions {
  /** Non-secret context that helps locate the problem (interface, path, packet id, …). */
  readonly ctx?: Readonly<Record<string, unknown>>
  /** Validation findings behind this error, when there are any. */
  readonly issues?: readonly Issue[]
  readonly cause?: unknown
}

/** The single runtime error class of astarte-ts. Messages are lower-case: "couldn't …". */
export class SdkError extends Error {
  override readonly name = 'SdkError'
  readonly code: SdkErrorCode
  readonly ctx: Readonly<Record<string, unknown>>
  readonly issues: readonly Issue[]

  constructor(code: SdkErrorCode, message: string, options: SdkErrorOptions = {}) {
    super(message)
    // Set by hand: ES2020's Error constructor has no options argument.
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false })
    }
    this.code = code
    this.ctx = options.ctx ?? {}
    this.issues = options.issues ?? []
  }
}

/** Exhaustiveness guard for discriminated-union switches. */
export function assertNever(x: never): never {
  throw new SdkError('local.unreachable', `couldn't handle unexpected variant ${JSON.stringify(x)}`)
}
