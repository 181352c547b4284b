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
import { chmod, chown } from 'node:fs/promises'
import { dirname } from 'node:path'
import type {
  AstarteObjectValue,
  Interface,
  ServerMessage,
  TimerHandle,
} from '@astarte-ts/sdk-core'
import type { Feature, FeatureContext } from '../core/feature.js'
import { EDGEHOG, loadEdgehogInterface } from '../device-info/edgehog-interfaces.js'
import {
  DownloadError,
  download,
  redactUrl,
  statfsFreeSpace,
  upload,
  type FreeSpace,
  type RetryPolicy,
  type TransferTls,
} from '../transfer/index.js'
import { ERRNO, errnoOf } from './errno.js'
import { FileStore, reservedBytes } from './file-store.js'
import { JobStore, type Job } from './job-store.js'
import { progressReporter } from './progress-reporter.js'
import {
  parseDeleteFile,
  parseDeviceToServer,
  parseServerToDevice,
  type DeleteFileRequest,
  type DeviceToServerRequest,
  type Parsed,
  type ServerToDeviceRequest,
  type TransferRequest,
} from './requests.js'

/** The interfaces of the feature. */
export const FILE_TRANSFER_INTERFACES = {
  capabilities: `${EDGEHOG}fileTransfer.Capabilities`,
  serverToDevice: `${EDGEHOG}fileTransfer.ServerToDevice`,
  deviceToServer: `${EDGEHOG}fileTransfer.DeviceToServer`,
  progress: `${EDGEHOG}fileTransfer.Progress`,
  response: `${EDGEHOG}fileTransfer.Response`,
  storageFile: `${EDGEHOG}storage.File`,
  deleteFile: `${EDGEHOG}storage.DeleteFile`,
  storageResponse: `${EDGEHOG}storage.Response`,
} as const

/** The targets this agent handles, both directions (`streaming` needs a local service). */
export const FILE_TRANSFER_TARGETS = ['storage', 'filesystem'] as const

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
    await this.#publishCapabilities(context)
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
      else await this.#upload(request, controller.signal)
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
    const toStorage = r.destination.type === 'storage'
    if (toStorage && (await files.sizeOf(r.id)) !== undefined) {
      // Stored ids name their content (spec §9): the file is already here.
      await this.#publishStored(r)
      return
    }
    const destination =
      r.destination.type === 'storage' ? files.incomingPathOf(r.id) : r.destination.path
    const dir = dirname(destination)
    const freeSpace = this.#options.freeSpace ?? statfsFreeSpace
    const reserve = await reservedBytes(dir, this.#options.storageReservedPercent ?? 20)
    if (r.fileSizeBytes !== undefined) {
      const free = await freeSpace(dir)
      if (free - reserve < r.fileSizeBytes) {
        throw new DownloadError(
          'download.no_space',
          `couldn't download ${redactUrl(r.url)}: ${r.fileSizeBytes} bytes needed, ${free} free of which ${reserve} are reserved`,
        )
      }
    }
    const report = r.progress ? this.#progressOf('server_to_device', r.id) : undefined
    const result = await download({
      url: r.url,
      destination,
      headers: r.headers,
      signal,
      reserveBytes: reserve,
      freeSpace,
      keepPartial: true,
      ...(r.sha256 === undefined ? {} : { sha256: r.sha256 }),
      ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      ...(this.#options.retry === undefined ? {} : { retry: this.#options.retry }),
      ...(report === undefined
        ? {}
        : { onProgress: (p) => report(p.receivedBytes, p.totalBytes, false) }),
    })
    if (r.fileMode !== undefined) await chmod(destination, r.fileMode)
    if (r.userId !== undefined || r.groupId !== undefined) {
      await chown(destination, r.userId ?? -1, r.groupId ?? -1)
    }
    if (toStorage) {
      await files.admit(r.id)
      if (r.ttlSeconds > 0) {
        const at = context.clock.now() + r.ttlSeconds * 1000
        await files.setExpiry(r.id, at)
        this.#scheduleExpiry(r.id, at)
      }
      await this.#publishStored(r)
    }
    report?.(result.bytes, result.bytes, true)
  }

  async #upload(r: DeviceToServerRequest, signal: AbortSignal): Promise<void> {
    const files = this.#files as FileStore
    let source: string
    if (r.source.type === 'storage') {
      if ((await files.sizeOf(r.source.fileId)) === undefined) {
        throw Object.assign(new Error(`no stored file ${r.source.fileId}`), { code: 'ENOENT' })
      }
      source = files.pathOf(r.source.fileId)
    } else source = r.source.path
    const report = r.progress ? this.#progressOf('device_to_server', r.id) : undefined
    await upload({
      url: r.url,
      source,
      headers: r.headers,
      signal,
      ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      ...(this.#options.retry === undefined ? {} : { retry: this.#options.retry }),
      ...(report === undefined
        ? {}
        : { onProgress: (p) => report(p.sentBytes, p.totalBytes, p.sentBytes === p.totalBytes) }),
    })
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
      await this.#unpublishStored(r.fileId)
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
      await this.#unpublishStored(fileId)
      context.logger.log('info', 'deleted a stored file past its ttl', { fileId })
    } catch (e) {
      context.logger.log('warn', "couldn't delete a stored file past its ttl", {
        fileId,
        error: String(e),
      })
    }
  }

  async #publishCapabilities(context: FeatureContext): Promise<void> {
    const iface = FILE_TRANSFER_INTERFACES.capabilities
    const { device } = context
    await device.setProperty(iface, '/transfer/unixPermissions', true)
    for (const direction of ['serverToDevice', 'deviceToServer'] as const) {
      await device.setProperty(iface, `/transfer/${direction}/targets`, [...FILE_TRANSFER_TARGETS])
      for (const target of FILE_TRANSFER_TARGETS) {
        await device.setProperty(iface, `/${direction}/${target}/encodings`, [])
      }
    }
  }

  async #publishStored(r: ServerToDeviceRequest): Promise<void> {
    const files = this.#files as FileStore
    const { device } = this.#required()
    const size = (await files.sizeOf(r.id)) ?? 0
    await device.setProperty(
      FILE_TRANSFER_INTERFACES.storageFile,
      `/${r.id}/pathOnDevice`,
      files.pathOf(r.id),
    )
    await device.setProperty(FILE_TRANSFER_INTERFACES.storageFile, `/${r.id}/sizeBytes`, size)
  }

  async #unpublishStored(fileId: string): Promise<void> {
    const { device } = this.#required()
    for (const leaf of ['pathOnDevice', 'sizeBytes']) {
      const path = `/${fileId}/${leaf}`
      if (device.getProperty(FILE_TRANSFER_INTERFACES.storageFile, path) !== undefined) {
        await device.unsetProperty(FILE_TRANSFER_INTERFACES.storageFile, path)
      }
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
