/**
 * @module device command: what `send` and `watch` share around a `Device` — the one deadline,
 * a logger and retry reports in the CLI's words, the stop on failures retrying cannot fix, and a
 * close bounded by the deadline's grace.
 */
import { readFile } from 'node:fs/promises'
import { SdkError, type Logger } from '@astarte-ts/sdk-core'
import type { DeviceOptions } from '../config/options.js'
import { Device } from '../device/device.js'
import { nodeHttpClient } from '../http/index.js'
import { redact } from '../log/index.js'
import { Deadline, isTimeout } from './deadline.js'
import { explainPairingFailure } from './pairing-diagnosis.js'
import { describeFailure } from './report.js'

/** The extra Pairing request that explains a 403 gets this long (the close grace is longer). */
const PROBE_TIMEOUT_MS = 3000

/** Failures of our own setup that another attempt can't fix: the command stops at once. */
const HOPELESS = new Set(['remote.tls_untrusted'])

function codes(e: SdkError): string[] {
  const out: string[] = []
  for (let c: unknown = e; c instanceof SdkError; c = (c as { cause?: unknown }).cause) {
    out.push(c.code)
  }
  return out
}

/** An untrusted server despite a CA given: that CA is the one to change. */
function withCaNamed(e: SdkError, options: DeviceOptions): SdkError {
  const given =
    options.caFile !== undefined
      ? `${options.caFile} (--ca)`
      : options.caPem === undefined
        ? ''
        : 'caPem'
  if (given === '' || !codes(e).includes('remote.tls_untrusted')) return e
  return new SdkError(
    'remote.tls_untrusted',
    `couldn't trust the server's certificate with the CA of ${given}, which did not sign it`,
    { cause: e },
  )
}

export class DeviceCommand {
  readonly deadline: Deadline
  readonly #prefix: string
  #device: Device | undefined
  #lastFailure: SdkError | undefined
  /** Failed attempts in a row with the same message: said in full once, then counted. */
  #repeats = 0

  constructor(
    readonly name: string,
    readonly debug: boolean,
    timeout: { readonly ms?: number; readonly flag?: string },
  ) {
    this.#prefix = `astarte-device ${name}: `
    this.deadline = new Deadline({
      ...(timeout.ms === undefined ? {} : { timeoutMs: timeout.ms }),
      ...(timeout.flag === undefined ? {} : { flag: timeout.flag }),
      onHardStop: () => {
        this.say("couldn't close the device in time; exiting")
        process.exit(process.exitCode ?? 1)
      },
    })
  }

  /** One stderr line (or block), with the command's prefix once. */
  say(text: string): void {
    process.stderr.write(`${this.#prefix}${text}\n`)
  }

  /**
   * The device's logger: lines in the CLI's words. Warnings that carry an error code are left
   * out: they come as `warning` events too, reported with the whole error by `#onWarning`.
   */
  logger(): Logger {
    return {
      log: (level, message, ctx) => {
        if (level !== 'warn' && level !== 'error') return
        if (typeof ctx?.code === 'string') return
        const tail = ctx === undefined ? '' : ` ${JSON.stringify(redact(ctx))}`
        this.say(`${level === 'warn' ? 'warning: ' : ''}${message.replace(/[\r\n]+/g, ' ')}${tail}`)
      },
    }
  }

  /** Opens the device within the deadline; a device opened after it passed is closed. */
  async open(options: DeviceOptions): Promise<Device> {
    const opening = Device.open(options).catch((e: unknown) => {
      // a file system refusal (full disk, permissions changed since the check) is no bug of ours
      const code = (e as { code?: unknown } | null)?.code
      if (e instanceof SdkError || typeof code !== 'string') throw e
      throw new SdkError(
        'local.io_failed',
        `couldn't open the device's files under ${options.storeDir} (--store): ${code}`,
        { cause: e },
      )
    })
    opening.then(
      (device) => {
        if (this.deadline.signal.aborted) device.close().catch(() => undefined)
      },
      () => undefined,
    )
    const device = await this.deadline.race(opening)
    this.#device = device
    device.on('warning', ({ message, ctx }) => this.#onWarning(device, message, ctx, options))
    device.on('error', (e) => this.deadline.abort(e))
    return device
  }

  /** A failed attempt (connect or pairing): said once per attempt, in full. */
  #onWarning(
    device: Device,
    message: string,
    ctx: Readonly<Record<string, unknown>>,
    options: DeviceOptions,
  ): void {
    if (typeof ctx.code !== 'string') return
    const last = device.metrics().lastError
    if (last === undefined || last.code !== ctx.code) {
      this.say(`warning: ${message} [${ctx.code}]`)
      return
    }
    const same = this.#lastFailure?.message === last.message
    this.#lastFailure = last
    if (codes(last).some((c) => HOPELESS.has(c))) {
      this.deadline.abort(withCaNamed(last, options))
      return
    }
    const next =
      last.code === 'remote.certificate_rejected' ? 'renewing the certificate' : 'retrying'
    this.#repeats = same ? this.#repeats + 1 : 0
    if (this.#repeats === 0) this.say(`${describeFailure(last)}; ${next}`)
    else this.say(`failed again the same way (${this.#repeats + 1} times) [${last.code}]; ${next}`)
  }

  /**
   * The error to report for `e`: a passed deadline names the last failed attempt, if any, so
   * "couldn't finish in time" says why.
   */
  failure(e: unknown): unknown {
    const last = this.#lastFailure
    if (!isTimeout(e) || last === undefined) return e
    return new SdkError('local.timeout', `${e.message}; the last attempt failed: ${last.message}`, {
      ctx: e.ctx,
      cause: last,
    })
  }

  /**
   * Reports `e` on stderr; returns the exit code 1. A refused secret is told apart from an
   * unknown realm by one more request to Pairing when `options` are given.
   */
  async fail(e: unknown, options?: DeviceOptions): Promise<number> {
    let failure = this.failure(e)
    if (options !== undefined) {
      const http = async () => {
        const caPem =
          options.caPem ??
          (options.caFile === undefined ? undefined : await readFile(options.caFile, 'utf8'))
        return nodeHttpClient({
          ...(caPem === undefined ? {} : { caPem }),
          ignoreTlsErrors: options.ignoreTlsErrors === true,
          timeoutMs: PROBE_TIMEOUT_MS,
        })
      }
      failure = await explainPairingFailure(failure, http, options.pairingUrl, options.realm)
    }
    this.say(describeFailure(failure, this.debug))
    return 1
  }

  /** Closes the device (bounded), then releases the deadline. */
  async end(): Promise<void> {
    const device = this.#device
    if (device !== undefined) await this.deadline.closeWithin((signal) => device.close({ signal }))
    this.deadline.dispose()
  }
}
