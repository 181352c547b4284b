/**
 * @module OTA feature: `io.edgehog.devicemanager.OTARequest` 1.0 in, `OTAEvent` 0.1 out
 * (edgehog-agent spec §3). One update at a time, driven through its phases — download (resumable,
 * retried, every failed attempt an `Error` event), compatibility check, deploy through the
 * `SystemUpdate` port, reboot through the `SystemControl` port (or by the system, `reboot =
 * "external"`), and after the restart `Success` when the new slot booted (marked good) or
 * `Failure/SystemRollback` when the bootloader fell back. The state is persisted before every
 * step a power loss could interrupt and each phase resumes after a restart; final events stay
 * in the state until Astarte acknowledged them (OTAEvent's retention is `discard`).
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { AstarteValue, DeviceEvents, Interface, ServerMessage } from '@astarte-ts/sdk-core'
import type { SystemControl } from '../commands/index.js'
import type { Feature, FeatureContext } from '../core/feature.js'
import { EDGEHOG, loadEdgehogInterface } from '../device-info/edgehog-interfaces.js'
import {
  discardPartial,
  download,
  DownloadError,
  redactUrl,
  type DownloadRequest,
} from '../transfer/index.js'
import {
  downloadCause,
  updateCause,
  type OtaEvent,
  type OtaStatus,
  type OtaStatusCode,
} from './ota-events.js'
import {
  EMPTY_STATE,
  FINISHED_KEPT,
  loadOtaState,
  saveOtaState,
  stateFile,
  type OtaCurrent,
  type OtaState,
} from './ota-state.js'
import { SystemUpdateError, type SystemUpdate } from './system-update.js'

/** How long a stop waits for the phase in progress (an install goes on in RAUC regardless). */
const STOP_WAIT_MS = 2_000
/** How long an update resumed at start waits for the connection before it goes on offline. */
const RESUME_ONLINE_WAIT_MS = 30_000

export const OTA_REQUEST_INTERFACE = `${EDGEHOG}OTARequest`
export const OTA_EVENT_INTERFACE = `${EDGEHOG}OTAEvent`

/** edgehog-device-runtime's values (spec §3.3). */
export const OTA_DEFAULTS = {
  rebootDelayMs: 5_000,
  rebootingRepeatMs: 30_000,
  downloadAttempts: 5,
  retryBaseDelayMs: 2_000,
  retryMaxDelayMs: 32_000,
  /** Between two sends of an unacknowledged final event while the device is online. */
  resendMs: 10_000,
  /** Between two tries to read the booted slot after a restart (the installer may start late). */
  verifyRetryMs: 2_000,
  verifyAttempts: 15,
} as const

/** Options of {@link otaFeature}. */
export interface OtaFeatureOptions {
  readonly systemUpdate: SystemUpdate
  /** Where the bundle is downloaded (`download_directory`); it holds `update.bin`. */
  readonly downloadDirectory: string
  /** How the reboot after a deploy happens: through `systemControl`, or by someone else. */
  readonly reboot: 'default' | 'external'
  /** Required with `reboot: 'default'`. */
  readonly systemControl?: SystemControl
  /** Between `Rebooting` and the reboot request. Default 5 s. */
  readonly rebootDelayMs?: number
  /** `Rebooting` is published again this often until the process ends. Default 30 s. */
  readonly rebootingRepeatMs?: number
  /** Download attempts before the update fails, and the backoff between them (doubling). */
  readonly download?: {
    readonly attempts?: number
    readonly retryBaseDelayMs?: number
    readonly retryMaxDelayMs?: number
    readonly tls?: DownloadRequest['tls']
    readonly freeSpace?: DownloadRequest['freeSpace']
  }
  /** Between two sends of a final event not yet acknowledged. Default 10 s. */
  readonly resendMs?: number
  /** Where the interface files are (`interfaces_directory`); the shipped set when absent. */
  readonly interfacesDirectory?: string
}

/** The OTA feature, and whether an update is in progress (the commands feature asks). */
export interface OtaFeature extends Feature {
  /** Why a reboot must wait (an update in progress), or `undefined`. */
  busy(): string | undefined
}

/** The OTA feature over `options.systemUpdate`. */
export function otaFeature(options: OtaFeatureOptions): OtaFeature {
  return new Ota(options)
}

/** The request fields, as far as they are strings. */
interface Request {
  readonly operation?: string
  readonly url?: string
  readonly uuid?: string
}

/** Thrown inside a phase to end the update with a final `Failure`. */
class UpdateFailed extends Error {
  constructor(
    readonly code: OtaStatusCode,
    message: string,
  ) {
    super(message)
  }
}

class Ota implements OtaFeature {
  readonly name = 'ota'
  readonly #options: OtaFeatureOptions
  #context: FeatureContext | undefined
  #file = ''
  #state: OtaState = EMPTY_STATE
  #writes: Promise<void> = Promise.resolve()
  #stopped = false
  /** Aborts the download and the waits of the update in progress (a cancel or a stop). */
  #abort: AbortController | undefined
  #canceled = false
  #running: Promise<void> | undefined
  #timers = new Set<unknown>()
  /** The waits in progress, ended at once by a stop. */
  #sleepers = new Set<() => void>()
  /** The timer republishing `Rebooting`. */
  #repeat: unknown
  #sending = false
  /** While an ended update's files are removed: its final event waits for that. */
  #cleaning = false
  #resendTimer: unknown

  constructor(options: OtaFeatureOptions) {
    if (options.reboot === 'default' && options.systemControl === undefined) {
      throw new TypeError('otaFeature: reboot "default" needs a systemControl')
    }
    this.#options = options
  }

  async interfaces(): Promise<readonly Interface[]> {
    const dir = this.#options.interfacesDirectory
    return [
      await loadEdgehogInterface(OTA_REQUEST_INTERFACE, dir),
      await loadEdgehogInterface(OTA_EVENT_INTERFACE, dir),
    ]
  }

  busy(): string | undefined {
    const current = this.#state.current
    return current === undefined ? undefined : `an update is in progress (${current.phase})`
  }

  async start(context: FeatureContext): Promise<void> {
    this.#context = context
    this.#file = stateFile(context.stateDir)
    const loaded = await loadOtaState(this.#file)
    if (loaded.corrupt) {
      context.logger.log('error', 'the OTA state was unreadable: moved aside, starting afresh', {
        file: `${this.#file}.corrupt`,
      })
    }
    this.#state = loaded.state
    context.device.on('stateChanged', this.#onDeviceState)
    this.#flush()
    const current = this.#state.current
    if (current === undefined) return
    context.logger.log('info', 'resuming the update in progress', {
      uuid: current.uuid,
      phase: current.phase,
    })
    this.#running =
      current.phase === 'rebooting'
        ? this.#verify(current)
        : this.#whenOnline(RESUME_ONLINE_WAIT_MS).then(() => this.#drive(true))
  }

  onServerMessage(message: ServerMessage): void {
    const context = this.#context
    if (context === undefined || this.#stopped) return
    const where = { interfaceName: message.interfaceName, path: message.path }
    if (
      message.interfaceName !== OTA_REQUEST_INTERFACE ||
      message.type !== 'object' ||
      message.path !== '/request'
    ) {
      context.logger.log('warn', 'ignored server data: not an OTA request', where)
      return
    }
    const request = readRequest(message.value)
    const uuid = request.uuid
    if (uuid === undefined || uuid === '') {
      context.logger.log('warn', 'ignored an OTA request without uuid', where)
      return
    }
    if (request.operation === 'Update') this.#onUpdate(uuid, request.url)
    else if (request.operation === 'Cancel') this.#onCancel(uuid)
    else {
      this.#answer(
        uuid,
        'InvalidRequest',
        `Unknown operation ${JSON.stringify(request.operation ?? null)}`,
      )
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    const context = this.#context
    context?.device.off('stateChanged', this.#onDeviceState)
    this.#abort?.abort()
    for (const handle of this.#timers) context?.timers.clear(handle)
    this.#timers.clear()
    for (const wake of this.#sleepers) wake()
    // the phase in progress persisted where it is and resumes at the next start: a download or a
    // wait ends at once; an install the installer runs is not waited for past a short bound
    const running = this.#running
    if (running !== undefined && context !== undefined) {
      let handle: unknown
      const bound = new Promise<void>((resolve) => {
        handle = context.timers.set(resolve, STOP_WAIT_MS)
      })
      await Promise.race([running.catch(() => undefined), bound])
      context.timers.clear(handle)
    }
    await this.#writes
  }

  // --- requests ---

  #onUpdate(uuid: string, url: string | undefined): void {
    const logger = (this.#context as FeatureContext).logger
    const current = this.#state.current
    if (current !== undefined) {
      if (current.uuid === uuid) {
        logger.log('info', 'ignored a repeated OTA request: it is in progress', { uuid })
        return
      }
      this.#answer(uuid, 'UpdateAlreadyInProgress', `The update ${current.uuid} is in progress`)
      return
    }
    const finished = this.#state.finished.find((f) => f.uuid === uuid)
    if (finished !== undefined) {
      // Edgehog re-sends a request it saw no answer to: answer with its outcome again
      logger.log('info', 'a finished OTA request came again: its final event is sent again', {
        uuid,
        status: finished.event.status,
      })
      if (!this.#state.unsent.some((e) => sameEvent(e, finished.event))) {
        void this.#save({ ...this.#state, unsent: [...this.#state.unsent, finished.event] }).then(
          () => this.#flush(),
          (error: unknown) => this.#logWriteError(error),
        )
      }
      return
    }
    const checked = checkUrl(url)
    if (typeof checked === 'string') {
      this.#answer(uuid, 'InvalidRequest', checked)
      return
    }
    logger.log('info', 'update requested', { uuid, url: redactUrl(checked) })
    const next: OtaCurrent = { uuid, url: checked.href, phase: 'downloading' }
    this.#state = { ...this.#state, current: next }
    this.#canceled = false
    this.#abort = undefined
    this.#running = (async () => {
      // persisted before the acknowledgement: a power loss now still ends in a final event
      if (!(await this.#persist())) return
      this.#publish(uuid, 'Acknowledged')
      // what an earlier update left is not this one's to resume
      await removeBundle(this.#bundle)
      await this.#drive()
    })()
  }

  #onCancel(uuid: string): void {
    const logger = (this.#context as FeatureContext).logger
    const current = this.#state.current
    if (current === undefined) {
      this.#answer(uuid, 'InternalError', 'Unable to cancel: the internal request is empty')
      return
    }
    if (current.uuid !== uuid) {
      this.#answer(
        uuid,
        'InternalError',
        'Unable to cancel: the request has a different identifier',
      )
      return
    }
    if (current.phase !== 'downloading') {
      // spec §3.5: once deploying, the update goes on to its end
      logger.log('warn', 'refused to cancel: the update is past its download', {
        uuid,
        phase: current.phase,
      })
      return
    }
    logger.log('info', 'canceling the update', { uuid })
    this.#canceled = true
    this.#abort?.abort()
  }

  // --- the phases ---

  /** Runs the update in progress from its persisted phase until it ends, reboots or stops. */
  async #drive(resumed = false): Promise<void> {
    try {
      for (;;) {
        const current = this.#state.current
        if (this.#stopped || current === undefined) return
        if (current.phase === 'downloading') await this.#download(current, resumed)
        else if (current.phase === 'deploying') await this.#deploy(current)
        else {
          await this.#reboot(current)
          return
        }
      }
    } catch (error) {
      if (this.#stopped) return
      const current = this.#state.current
      if (current === undefined) return
      if (error instanceof UpdateFailed) await this.#fail(current.uuid, error.code, error.message)
      else {
        ;(this.#context as FeatureContext).logger.log('error', 'the update failed unexpectedly', {
          uuid: current.uuid,
          error: error instanceof Error ? error.message : String(error),
        })
        await this.#fail(current.uuid, 'InternalError', describe(error))
      }
    }
  }

  get #bundle(): string {
    return join(this.#options.downloadDirectory, 'update.bin')
  }

  /** `resumed`: after a restart, progress goes on from the bytes kept, not from 0. */
  async #download(current: OtaCurrent, resumed: boolean): Promise<void> {
    const context = this.#context as FeatureContext
    const opts = this.#options.download ?? {}
    const attempts = opts.attempts ?? OTA_DEFAULTS.downloadAttempts
    const base = opts.retryBaseDelayMs ?? OTA_DEFAULTS.retryBaseDelayMs
    const max = opts.retryMaxDelayMs ?? OTA_DEFAULTS.retryMaxDelayMs
    const { url, sha256 } = splitDigest(current.url)
    const abort = this.#abort ?? new AbortController()
    this.#abort = abort
    if (this.#canceled) throw new UpdateFailed('Canceled', 'The update was canceled')
    try {
      await mkdir(this.#options.downloadDirectory, { recursive: true, mode: 0o700 })
    } catch (error) {
      throw new UpdateFailed(
        'IOError',
        `Unable to create the download directory: ${describe(error)}`,
      )
    }
    let sent = { percent: -1, atMs: 0 }
    if (!resumed) {
      sent = { percent: 0, atMs: context.clock.now() }
      this.#publish(current.uuid, 'Downloading', 0)
    }
    const onProgress = (p: { receivedBytes: number; totalBytes: number | undefined }): void => {
      if (p.totalBytes === undefined || p.totalBytes === 0 || this.#stopped) return
      const percent = Math.min(100, Math.floor((p.receivedBytes * 100) / p.totalBytes))
      const now = context.clock.now()
      // at most one event per percent step and per second; 100 always
      if (percent <= sent.percent || (percent < 100 && now - sent.atMs < 1000)) return
      sent = { percent, atMs: now }
      this.#publish(current.uuid, 'Downloading', percent)
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await download({
          url,
          destination: this.#bundle,
          ...(sha256 === undefined ? {} : { sha256 }),
          signal: abort.signal,
          onProgress,
          retry: { attempts: 1, baseDelayMs: base, maxDelayMs: max },
          ...(opts.tls === undefined ? {} : { tls: opts.tls }),
          ...(opts.freeSpace === undefined ? {} : { freeSpace: opts.freeSpace }),
        })
        break
      } catch (error) {
        if (this.#stopped) return
        if (this.#canceled) throw new UpdateFailed('Canceled', 'The update was canceled')
        if (!(error instanceof DownloadError)) throw error
        const cause = downloadCause(error)
        context.logger.log('warn', 'the download failed', {
          uuid: current.uuid,
          attempt,
          code: error.code,
          error: error.message,
        })
        if (!cause.retry) throw new UpdateFailed(cause.code, cause.message)
        this.#publish(current.uuid, 'Error', 0, cause.code, cause.message)
        if (attempt >= attempts) {
          throw new UpdateFailed(
            cause.code,
            `Too many attempts to download the OTA file: ${cause.message}`,
          )
        }
        await this.#sleep(Math.min(max, base * 2 ** (attempt - 1)), abort.signal)
        if (this.#stopped) return
        if (this.#canceled) throw new UpdateFailed('Canceled', 'The update was canceled')
      }
    }
    this.#abort = undefined
    if (sent.percent < 100) this.#publish(current.uuid, 'Downloading', 100)
    const su = this.#options.systemUpdate
    const info = await this.#step(() => su.check(this.#bundle))
    const bootSlot = await this.#step(() => su.bootedSlot())
    context.logger.log('info', 'bundle downloaded and compatible', {
      uuid: current.uuid,
      version: info.version,
      bootSlot,
    })
    if (this.#stopped) return
    this.#state = { ...this.#state, current: { ...current, phase: 'deploying', bootSlot } }
    await this.#persistOrFail()
  }

  async #deploy(current: OtaCurrent): Promise<void> {
    const context = this.#context as FeatureContext
    const su = this.#options.systemUpdate
    this.#publish(current.uuid, 'Deploying', 0)
    // an install an earlier process started (and a power loss interrupted) finishes first
    await this.#step(() => su.idle())
    if (this.#stopped) return
    let sent = { percent: 0, atMs: context.clock.now() }
    const { slot } = await this.#step(() =>
      su.install(this.#bundle, (percent, message) => {
        const now = context.clock.now()
        if (this.#stopped || percent <= sent.percent) return
        if (percent < 100 && now - sent.atMs < 1000) return
        sent = { percent, atMs: now }
        this.#publish(current.uuid, 'Deploying', percent, '', message)
      }),
    )
    if (this.#stopped) return
    context.logger.log('info', 'update deployed', { uuid: current.uuid, slot })
    this.#state = { ...this.#state, current: { ...current, phase: 'deployed', expectedSlot: slot } }
    await this.#persistOrFail()
    this.#publish(current.uuid, 'Deployed')
  }

  async #reboot(current: OtaCurrent): Promise<void> {
    const context = this.#context as FeatureContext
    this.#state = { ...this.#state, current: { ...current, phase: 'rebooting' } }
    await this.#persistOrFail()
    this.#publish(current.uuid, 'Rebooting')
    const repeat = this.#options.rebootingRepeatMs ?? OTA_DEFAULTS.rebootingRepeatMs
    const again = (): void => {
      this.#publish(current.uuid, 'Rebooting')
      this.#repeat = this.#timer(again, repeat)
    }
    this.#repeat = this.#timer(again, repeat)
    const control = this.#options.systemControl
    if (this.#options.reboot === 'external' || control === undefined) {
      context.logger.log('info', 'update deployed: waiting for the system to reboot', {
        uuid: current.uuid,
      })
      return
    }
    await this.#sleep(this.#options.rebootDelayMs ?? OTA_DEFAULTS.rebootDelayMs)
    if (this.#stopped) return
    try {
      await control.reboot()
      context.logger.log('info', 'reboot requested for the update', { uuid: current.uuid })
    } catch (error) {
      throw new UpdateFailed('InternalError', `Unable to reboot: ${describe(error)}`)
    }
  }

  /** After the restart: the slot booted says Success (marked good) or SystemRollback. */
  async #verify(current: OtaCurrent): Promise<void> {
    const context = this.#context as FeatureContext
    const su = this.#options.systemUpdate
    try {
      let booted: string | undefined
      for (let attempt = 1; booted === undefined; attempt++) {
        try {
          booted = await su.bootedSlot()
        } catch (error) {
          // the installer's service may start after the agent at boot
          if (attempt >= OTA_DEFAULTS.verifyAttempts) throw error
          context.logger.log('warn', "couldn't read the booted slot yet", {
            error: describe(error),
          })
          await this.#sleep(OTA_DEFAULTS.verifyRetryMs)
          if (this.#stopped) return
        }
      }
      const switched =
        current.expectedSlot !== undefined
          ? booted === current.expectedSlot
          : booted !== current.bootSlot
      if (!switched) {
        context.logger.log('error', 'the update did not boot: the system rolled back', {
          uuid: current.uuid,
          booted,
          expected: current.expectedSlot ?? null,
        })
        await this.#fail(
          current.uuid,
          'SystemRollback',
          `Unable to switch slot: booted ${booted}, expected ${current.expectedSlot ?? 'another slot'}`,
        )
        return
      }
      try {
        await su.markGood()
      } catch (error) {
        await this.#fail(current.uuid, 'InternalError', `Unable to mark slot: ${describe(error)}`)
        return
      }
      context.logger.log('info', 'update succeeded', { uuid: current.uuid, slot: booted })
      await this.#end(current.uuid, 'Success', '', '')
    } catch (error) {
      if (!this.#stopped) await this.#fail(current.uuid, 'InternalError', describe(error))
    }
  }

  /** A system update step: its failure ends the update with the code it maps to. */
  async #step<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      if (error instanceof SystemUpdateError) {
        throw new UpdateFailed(updateCause(error), error.message)
      }
      throw error
    }
  }

  // --- ends and events ---

  /** Ends the update in progress with `Failure`. */
  #fail(uuid: string, code: OtaStatusCode, message: string): Promise<void> {
    return this.#end(uuid, 'Failure', code, message)
  }

  /** Ends the update in progress: state cleared, final event queued durably, bundle removed. */
  async #end(uuid: string, status: OtaStatus, code: OtaStatusCode, message: string): Promise<void> {
    const context = this.#context as FeatureContext
    const event = this.#event(uuid, status, 0, code, message)
    const finished = [...this.#state.finished, { uuid, event }].slice(-FINISHED_KEPT)
    const { current: _ended, ...rest } = this.#state
    this.#state = { ...rest, unsent: [...this.#state.unsent, event], finished }
    this.#cleaning = true
    this.#abort = undefined
    if (this.#repeat !== undefined) {
      context.timers.clear(this.#repeat)
      this.#timers.delete(this.#repeat)
      this.#repeat = undefined
    }
    try {
      await this.#save(this.#state)
    } catch (error) {
      this.#logWriteError(error)
    }
    try {
      await removeBundle(this.#bundle)
    } catch (error) {
      context.logger.log('warn', "couldn't remove the update's bundle", { error: describe(error) })
    }
    this.#cleaning = false
    if (status === 'Failure') {
      context.logger.log('warn', 'update failed', { uuid, statusCode: code, message })
    }
    this.#flush()
  }

  /** A final event about a request that is not (or not the) update in progress. */
  #answer(uuid: string, code: OtaStatusCode, message: string): void {
    const context = this.#context as FeatureContext
    context.logger.log('warn', 'refused an OTA request', { uuid, statusCode: code, message })
    const event = this.#event(uuid, 'Failure', 0, code, message)
    this.#state = { ...this.#state, unsent: [...this.#state.unsent, event] }
    this.#save(this.#state).then(
      () => this.#flush(),
      (error: unknown) => {
        this.#logWriteError(error)
        this.#flush()
      },
    )
  }

  #event(
    uuid: string,
    status: OtaStatus,
    progress: number,
    code: OtaStatusCode,
    message: string,
  ): OtaEvent {
    return {
      requestUUID: uuid,
      status,
      statusProgress: progress,
      statusCode: code,
      message,
      atMs: (this.#context as FeatureContext).clock.now(),
    }
  }

  /** A progress event: sent once, lost if the device is offline (as the interface's retention). */
  #publish(
    uuid: string,
    status: OtaStatus,
    progress = 0,
    code: OtaStatusCode = '',
    message = '',
  ): void {
    if (this.#stopped) return
    const event = this.#event(uuid, status, progress, code, message)
    this.#send(event).catch((error: unknown) =>
      (this.#context as FeatureContext).logger.log('debug', "couldn't send an OTA event", {
        uuid,
        status,
        error: describe(error),
      }),
    )
  }

  #send(event: OtaEvent): Promise<void> {
    const { atMs, ...fields } = event
    return (this.#context as FeatureContext).device.sendObject(
      OTA_EVENT_INTERFACE,
      '/event',
      fields,
      {
        timestamp: new Date(atMs),
      },
    )
  }

  /** Sends the oldest unacknowledged final event; the next once it is acknowledged. */
  #flush(): void {
    const context = this.#context
    if (context === undefined || this.#sending || this.#cleaning || this.#stopped) return
    const event = this.#state.unsent[0]
    if (event === undefined) return
    this.#sending = true
    this.#send(event).then(
      () => {
        this.#sending = false
        this.#state = { ...this.#state, unsent: this.#state.unsent.filter((e) => e !== event) }
        this.#save(this.#state).then(
          () => {
            context.logger.log('info', 'final OTA event acknowledged', {
              uuid: event.requestUUID,
              status: event.status,
              statusCode: event.statusCode,
            })
            this.#flush()
          },
          (error: unknown) => this.#logWriteError(error),
        )
      },
      () => {
        this.#sending = false
        if (this.#stopped) return
        // offline or the connection dropped: again when the device is online, or in a while
        if (this.#resendTimer !== undefined) return
        this.#resendTimer = this.#timer(() => {
          this.#resendTimer = undefined
          this.#flush()
        }, this.#options.resendMs ?? OTA_DEFAULTS.resendMs)
      },
    )
  }

  readonly #onDeviceState = (event: DeviceEvents['stateChanged']): void => {
    if (event.state === 'online') this.#flush()
  }

  // --- persistence and time ---

  /** Writes `state` after the writes before it; the file always holds the latest. */
  #save(state: OtaState): Promise<void> {
    const write = this.#writes.then(() => saveOtaState(this.#file, state))
    this.#writes = write.catch(() => undefined)
    return write
  }

  /** Persists the current state; on failure the update ends with `Failure/IOError`. */
  async #persist(): Promise<boolean> {
    try {
      await this.#save(this.#state)
      return true
    } catch (error) {
      const current = this.#state.current
      this.#logWriteError(error)
      if (current !== undefined) await this.#fail(current.uuid, 'IOError', describe(error))
      return false
    }
  }

  async #persistOrFail(): Promise<void> {
    try {
      await this.#save(this.#state)
    } catch (error) {
      this.#logWriteError(error)
      throw new UpdateFailed('IOError', `Unable to persist the OTA state: ${describe(error)}`)
    }
  }

  #logWriteError(error: unknown): void {
    this.#context?.logger.log('error', "couldn't write the OTA state", {
      file: this.#file,
      error: describe(error),
    })
  }

  #timer(fn: () => void, ms: number): unknown {
    const context = this.#context as FeatureContext
    const handle: unknown = context.timers.set(() => {
      this.#timers.delete(handle)
      fn()
    }, ms)
    this.#timers.add(handle)
    return handle
  }

  /**
   * Resolves once the device is online, after `ms` at most, or when the feature stops. A phase
   * resumed at start announces itself again (`Downloading`, `Deploying`), and OTAEvent's `discard`
   * retention would drop an event sent while the device still connects.
   */
  async #whenOnline(ms: number): Promise<void> {
    const device = (this.#context as FeatureContext).device
    if (device.state === 'online') return
    const online = new AbortController()
    const onState = (event: DeviceEvents['stateChanged']): void => {
      if (event.state === 'online') online.abort()
    }
    device.on('stateChanged', onState)
    try {
      await this.#sleep(ms, online.signal)
    } finally {
      device.off('stateChanged', onState)
    }
  }

  /** Resolves after `ms`, or at once when `signal` aborts or the feature stops. */
  #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped || signal?.aborted === true) {
        resolve()
        return
      }
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        this.#sleepers.delete(done)
        this.#timers.delete(handle)
        ;(this.#context as FeatureContext).timers.clear(handle)
        resolve()
      }
      const handle = this.#timer(done, ms)
      this.#sleepers.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }
}

const sameEvent = (a: OtaEvent, b: OtaEvent): boolean =>
  a.requestUUID === b.requestUUID && a.status === b.status && a.atMs === b.atMs

function readRequest(value: Readonly<Record<string, AstarteValue>>): Request {
  const text = (key: string): string | undefined => {
    const v = value[key]
    return typeof v === 'string' ? v : undefined
  }
  const operation = text('operation')
  const url = text('url')
  const uuid = text('uuid')
  return {
    ...(operation === undefined ? {} : { operation }),
    ...(url === undefined ? {} : { url }),
    ...(uuid === undefined ? {} : { uuid }),
  }
}

/** The request's URL, or why it can't be downloaded. */
function checkUrl(url: string | undefined): URL | string {
  if (url === undefined || url === '') return 'The update request has no URL'
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'The update URL is not a valid URL'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `The update URL's scheme ${parsed.protocol} is not http or https`
  }
  return parsed
}

/**
 * The URL without its fragment, and the sha256 a `#sha256=<hex>` fragment names: a way to pin the
 * bundle's digest that OTARequest lacks, which never reaches the server (fragments aren't sent).
 */
export function splitDigest(url: string): { url: string; sha256?: string } {
  const parsed = new URL(url)
  const match = /^#sha256=([0-9a-fA-F]{64})$/.exec(parsed.hash)
  parsed.hash = ''
  return match?.[1] === undefined
    ? { url: parsed.href }
    : { url: parsed.href, sha256: match[1].toLowerCase() }
}

/** The downloaded bundle and what an unfinished download left. */
async function removeBundle(bundle: string): Promise<void> {
  await rm(bundle, { force: true })
  await discardPartial(bundle)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
