/**
 * @module deadline: one per CLI command, covering everything it does (pairing, connect, sync,
 * sends, close). Its timer is a plain `setTimeout` the deadline owns until it fires or the command
 * ends: on Node 20 an `AbortSignal.timeout()` (alone or inside `AbortSignal.any`) may be garbage
 * collected before it fires, and the command then never ends. SIGINT and SIGTERM abort the same
 * signal. Once aborted, the command gets a bounded time to close; past it the process exits, so a
 * command never outlives its deadline by more than that grace.
 */
import { SdkError } from '@astarte-ts/sdk-core'

/** How long a command may take to close the device once its deadline passed or it was stopped. */
export const CLOSE_GRACE_MS = 6000

export interface DeadlineOptions {
  /** The command's budget; `undefined` for none (e.g. `watch`, which runs until stopped). */
  readonly timeoutMs?: number
  /** The flag that sets the budget, named in the timeout error. */
  readonly flag?: string
  /** Called when the process must end now: the close grace passed too. */
  readonly onHardStop: () => void
}

/** The abort reason once the deadline passed. */
export function isTimeout(reason: unknown): reason is SdkError {
  return reason instanceof SdkError && reason.code === 'local.timeout'
}

/** The abort reason after SIGINT or SIGTERM. */
export function isInterrupt(reason: unknown): reason is SdkError {
  return reason instanceof SdkError && reason.code === 'local.interrupted'
}

export class Deadline {
  readonly #controller = new AbortController()
  readonly #onHardStop: () => void
  readonly #timer: NodeJS.Timeout | undefined
  #hardStop: NodeJS.Timeout | undefined
  readonly #onSignal = (signal: NodeJS.Signals): void =>
    this.abort(new SdkError('local.interrupted', `couldn't finish: stopped by ${signal}`))

  constructor(options: DeadlineOptions) {
    this.#onHardStop = options.onHardStop
    const { timeoutMs } = options
    if (timeoutMs !== undefined) {
      const seconds = timeoutMs / 1000
      const flag = options.flag === undefined ? '' : ` (${options.flag})`
      this.#timer = setTimeout(
        () =>
          this.abort(
            new SdkError('local.timeout', `couldn't finish within ${seconds} s${flag}`, {
              ctx: { timeoutMs },
            }),
          ),
        timeoutMs,
      )
    }
    process.on('SIGINT', this.#onSignal)
    process.on('SIGTERM', this.#onSignal)
  }

  /** Aborted when the deadline passes, on SIGINT/SIGTERM, or by `abort()`. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Ends the command now with `reason` (e.g. a failure retrying cannot fix). */
  abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return
    this.#controller.abort(reason)
    clearTimeout(this.#timer)
    // a second Ctrl-C is not needed: the grace is bounded
    this.#hardStop = setTimeout(this.#onHardStop, CLOSE_GRACE_MS + 1000)
  }

  /** `promise`, or the abort reason as soon as the deadline is aborted. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#controller.signal
    if (signal.aborted) {
      promise.catch(() => undefined)
      return Promise.reject(signal.reason)
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort)
          resolve(value)
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      )
    })
  }

  /**
   * Runs `close` with a signal that aborts after the close grace (a timer owned here, for the
   * reason in the module comment); resolves when it finished or the grace passed.
   */
  async closeWithin(close: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const grace = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        grace.abort(new SdkError('local.timeout', "couldn't close in time"))
        resolve()
      }, CLOSE_GRACE_MS)
    })
    try {
      await Promise.race([close(grace.signal).catch(() => undefined), expired])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Stops every timer and signal handler: the command is over. */
  dispose(): void {
    clearTimeout(this.#timer)
    clearTimeout(this.#hardStop)
    process.off('SIGINT', this.#onSignal)
    process.off('SIGTERM', this.#onSignal)
  }
}
