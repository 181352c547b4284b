/**
 * @module file transfer feature: Edgehog's file transfer (runtime 0.12, edgehog-agent spec §9).
 * `fileTransfer.ServerToDevice` downloads into the managed store (published as `storage.File`)
 * or to a path; `fileTransfer.DeviceToServer` uploads a stored file or a path with an HTTP PUT;
 * both report `fileTransfer.Progress` when asked and end with one `fileTransfer.Response`
 * (code 0 or a POSIX errno). `storage.DeleteFile` removes a stored file and answers
 * `storage.Response`. Transfers run one at a time in arrival order and are persisted, so a
 * restart continues them (a download from its synced part). `storage_reserved` percent of the
 * destination's file system stays free, checked before and during a download; a download that
 * would cut into it fails with ENOSPC and leaves nothing behind.
 */
import type {
  AstarteObjectValue,
  Interface,
  ServerMessage,
  TimerHandle,
} from '@astarte-ts/sdk-core'
import type { Feature, FeatureContext } from '../core/feature.js'
import { loadEdgehogInterface } from '../device-info/edgehog-interfaces.js'
import { redactUrl, type FreeSpace, type RetryPolicy, type TransferTls } from '../transfer/index.js'
import { ERRNO, errnoOf } from './errno.js'
import { FileStore } from './file-store.js'
import { FILE_TRANSFER_INTERFACES } from './interfaces.js'
import { JobStore, type Job } from './job-store.js'
import { publishCapabilities, publishStored, unpublishStored } from './publications.js'
import { progressReporter } from './progress-reporter.js'
import { downloadFile, uploadFile, type TransferContext } from './transfers.js'
import {
  parseDeleteFile,
  parseDeviceToServer,
  parseServerToDevice,
  type DeleteFileRequest,
  type Parsed,
  type ServerToDeviceRequest,
  type TransferRequest,
} from './requests.js'

/** Options of {@link fileTransferFeature}. */
export interface FileTransferFeatureOptions {
  /** `[file_transfer] storage_dir`. */
  readonly storageDir: string
  /** `[file_transfer] storage_reserved`: percent of the file system kept free; default 20. */
  readonly storageReservedPercent?: number
  /** Trust for HTTPS transfers; the system's by default. */
  readonly tls?: TransferTls
  /** Retries of each transfer; the downloader's default (5 attempts, 1 s to 30 s) by default. */
  readonly retry?: RetryPolicy
  /** The free bytes under a directory; `statfs` by default. */
  readonly freeSpace?: FreeSpace
  /** Where the interface files are (`interfaces_directory`); the shipped set when absent. */
  readonly interfacesDirectory?: string
}

/** The file transfer feature. */
export function fileTransferFeature(options: FileTransferFeatureOptions): Feature {
  return new FileTransferFeature(options)
}

type Direction = TransferRequest['kind']

class FileTransferFeature implements Feature {
  readonly name = 'file-transfer'
  readonly #options: FileTransferFeatureOptions
  #context: FeatureContext | undefined
  #files: FileStore | undefined
  #jobs: JobStore | undefined
  readonly #queue: Job[] = []
  /** `<kind>:<id>` of every transfer accepted and not answered yet: a re-delivery is ignored. */
  readonly #accepted = new Set<string>()
  #running: { readonly job: Job; readonly controller: AbortController } | undefined
  #worker: Promise<void> | undefined
  readonly #expiryTimers = new Map<string, TimerHandle>()
  #stopped = false

  constructor(options: FileTransferFeatureOptions) {
    this.#options = options
  }

  async interfaces(): Promise<readonly Interface[]> {
    const dir = this.#options.interfacesDirectory
    return Promise.all(
      Object.values(FILE_TRANSFER_INTERFACES).map((name) => loadEdgehogInterface(name, dir)),
    )
  }

  async start(context: FeatureContext): Promise<void> {
    this.#context = context
    const files = new FileStore(this.#options.storageDir, context.stateDir)
    await files.open()
    this.#files = files
    const jobs = new JobStore(context.stateDir)
    const { jobs: left, dropped } = await jobs.load()
    this.#jobs = jobs
    for (const name of dropped)
      context.logger.log('warn', 'dropped an unreadable transfer job', { name })
    await files.sweepIncoming(
      new Set(
        left
          .map((job) => job.request)
          .filter((r) => r.kind === 'server_to_device' && r.destination.type === 'storage')
          .map((r) => r.id),
      ),
    )
    await publishCapabilities(context.device)
    for (const [fileId, atMs] of Object.entries(files.expiries()))
      this.#scheduleExpiry(fileId, atMs)
    for (const job of left) {
      this.#accepted.add(keyOf(job.request))
      this.#queue.push(job)
      context.logger.log('info', 'continuing a transfer', {
        id: job.request.id,
        type: job.request.kind,
      })
    }
    this.#kick()
  }

  onServerMessage(message: ServerMessage): void {
    const context = this.#context
    if (context === undefined || this.#stopped) return
    const where = { interfaceName: message.interfaceName, path: message.path }
    if (message.type !== 'object' || message.path !== '/request') {
      context.logger.log('warn', 'ignored server data: not a request object', {
        ...where,
        type: message.type,
      })
      return
    }
    switch (message.interfaceName) {
      case FILE_TRANSFER_INTERFACES.serverToDevice:
        this.#accept('server_to_device', parseServerToDevice(message.value))
        return
      case FILE_TRANSFER_INTERFACES.deviceToServer:
        this.#accept('device_to_server', parseDeviceToServer(message.value))
        return
      case FILE_TRANSFER_INTERFACES.deleteFile:
        void this.#delete(parseDeleteFile(message.value))
        return
      default:
        context.logger.log('warn', 'ignored server data: not a file transfer request', where)
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    // An interrupted transfer keeps its job (and a download its part): the next start goes on.
    this.#running?.controller.abort(new Error('the agent is stopping'))
    await this.#worker
    for (const timer of this.#expiryTimers.values()) this.#context?.timers.clear(timer)
    this.#expiryTimers.clear()
  }

  #accept(kind: Direction, parsed: Parsed<TransferRequest>): void {
    const context = this.#context
    const jobs = this.#jobs
    if (context === undefined || jobs === undefined) return
    if (!parsed.ok) {
      const { id, unsupported, message } = parsed.problem
      context.logger.log('warn', 'refused a file transfer', { id, type: kind, reason: message })
      if (id !== undefined)
        this.#respond(kind, id, unsupported ? ERRNO.ENOTSUP : ERRNO.EINVAL, message)
      return
    }
    const request = parsed.value
    const key = keyOf(request)
    if (this.#accepted.has(key)) {
      context.logger.log('info', 'ignored a repeated file transfer request', {
        id: request.id,
        type: kind,
      })
      return
    }
    this.#accepted.add(key)
    context.logger.log('info', 'accepted a file transfer', {
      id: request.id,
      type: kind,
      url: redactUrl(request.url),
    })
    jobs.add(request).then(
      (job) => {
        this.#queue.push(job)
        this.#kick()
      },
      (e: unknown) => {
        this.#accepted.delete(key)
        this.#respond(kind, request.id, errnoOf(e), `couldn't queue the transfer: ${String(e)}`)
      },
    )
  }

  #kick(): void {
    if (this.#worker !== undefined || this.#stopped || this.#queue.length === 0) return
    this.#worker = this.#work().finally(() => {
      this.#worker = undefined
      this.#kick()
    })
  }

  async #work(): Promise<void> {
    for (
      let job = this.#queue.shift();
      job !== undefined && !this.#stopped;
      job = this.#queue.shift()
    ) {
      await this.#run(job)
    }
  }

  async #run(job: Job): Promise<void> {
    const context = this.#context
    const jobs = this.#jobs
    if (context === undefined || jobs === undefined) return
    const controller = new AbortController()
    this.#running = { job, controller }
    const { request } = job
    let code = 0
    let message = ''
    try {
      if (request.kind === 'server_to_device') await this.#download(request, controller.signal)
      else await uploadFile(request, this.#transferContext(controller.signal, request))
    } catch (e) {
      if (this.#stopped && controller.signal.aborted) {
        this.#running = undefined
        context.logger.log('info', 'interrupted a transfer; it goes on at the next start', {
          id: request.id,
        })
        return
      }
      code = errnoOf(e)
      message = e instanceof Error ? e.message : String(e)
    }
    this.#running = undefined
    context.logger.log(code === 0 ? 'info' : 'warn', 'file transfer done', {
      id: request.id,
      type: request.kind,
      code,
      ...(message === '' ? {} : { message }),
    })
    this.#respond(request.kind, request.id, code, message)
    await jobs.remove(job).catch(() => undefined)
    this.#accepted.delete(keyOf(request))
  }

  async #download(r: ServerToDeviceRequest, signal: AbortSignal): Promise<void> {
    const context = this.#required()
    const files = this.#files as FileStore
    const { fresh } = await downloadFile(r, this.#transferContext(signal, r))
    if (r.destination.type !== 'storage') return
    if (fresh && r.ttlSeconds > 0) {
      const at = context.clock.now() + r.ttlSeconds * 1000
      await files.setExpiry(r.id, at)
      this.#scheduleExpiry(r.id, at)
    }
    await publishStored(context.device, files, r.id)
  }

  #transferContext(signal: AbortSignal, r: TransferRequest): TransferContext {
    const o = this.#options
    return {
      files: this.#files as FileStore,
      signal,
      reservedPercent: o.storageReservedPercent ?? 20,
      ...(o.freeSpace === undefined ? {} : { freeSpace: o.freeSpace }),
      ...(o.tls === undefined ? {} : { tls: o.tls }),
      ...(o.retry === undefined ? {} : { retry: o.retry }),
      ...(r.progress ? { progress: this.#progressOf(r.kind, r.id) } : {}),
    }
  }

  async #delete(parsed: Parsed<DeleteFileRequest>): Promise<void> {
    const context = this.#required()
    const files = this.#files as FileStore
    if (!parsed.ok) {
      const { id, message } = parsed.problem
      context.logger.log('warn', 'refused a file deletion', { id, reason: message })
      if (id !== undefined) this.#respondStorage(id, ERRNO.EINVAL, [message])
      return
    }
    const r = parsed.value
    const running = this.#running?.job.request
    if (
      !r.force &&
      running?.kind === 'device_to_server' &&
      running.source.type === 'storage' &&
      running.source.fileId === r.fileId
    ) {
      this.#respondStorage(r.id, ERRNO.EBUSY, [`file ${r.fileId} is being uploaded`])
      return
    }
    try {
      if (!(await files.remove(r.fileId))) {
        this.#respondStorage(r.id, ERRNO.ENOENT, [`no stored file ${r.fileId}`])
        return
      }
      this.#clearExpiry(r.fileId)
      await unpublishStored(context.device, r.fileId)
      context.logger.log('info', 'deleted a stored file', { id: r.id, fileId: r.fileId })
      this.#respondStorage(r.id, 0, [])
    } catch (e) {
      this.#respondStorage(r.id, errnoOf(e), [e instanceof Error ? e.message : String(e)])
    }
  }

  #scheduleExpiry(fileId: string, atMs: number): void {
    const context = this.#required()
    this.#clearExpiry(fileId)
    const delay = Math.max(0, atMs - context.clock.now())
    this.#expiryTimers.set(
      fileId,
      context.timers.set(() => {
        this.#expiryTimers.delete(fileId)
        void this.#expire(fileId)
      }, delay),
    )
  }

  #clearExpiry(fileId: string): void {
    const timer = this.#expiryTimers.get(fileId)
    if (timer !== undefined) this.#context?.timers.clear(timer)
    this.#expiryTimers.delete(fileId)
  }

  async #expire(fileId: string): Promise<void> {
    const context = this.#required()
    try {
      await (this.#files as FileStore).remove(fileId)
      await unpublishStored(context.device, fileId)
      context.logger.log('info', 'deleted a stored file past its ttl', { fileId })
    } catch (e) {
      context.logger.log('warn', "couldn't delete a stored file past its ttl", {
        fileId,
        error: String(e),
      })
    }
  }

  #progressOf(
    type: Direction,
    id: string,
  ): (bytes: number, total: number | undefined, final: boolean) => void {
    const context = this.#required()
    return progressReporter(context.clock, (p) =>
      this.#send(FILE_TRANSFER_INTERFACES.progress, {
        id,
        type,
        bytes: p.bytes,
        totalBytes: p.totalBytes,
      }),
    )
  }

  #respond(type: Direction, id: string, code: number, message: string): void {
    this.#send(FILE_TRANSFER_INTERFACES.response, { id, type, code, message })
  }

  #respondStorage(id: string, code: number, messages: string[]): void {
    this.#send(FILE_TRANSFER_INTERFACES.storageResponse, { id, type: 'delete', code, messages })
  }

  #send(iface: string, value: AstarteObjectValue): void {
    const context = this.#required()
    context.device
      .sendObject(iface, '/request', value)
      .catch((e: unknown) =>
        context.logger.log('warn', "couldn't send", { interfaceName: iface, error: String(e) }),
      )
  }

  #required(): FeatureContext {
    if (this.#context === undefined) throw new Error('the file transfer feature is not started')
    return this.#context
  }
}

const keyOf = (r: TransferRequest): string => `${r.kind}:${r.id}`
