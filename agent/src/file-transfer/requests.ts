/**
 * @module file transfer requests: the server-owned objects of `fileTransfer.ServerToDevice`,
 * `fileTransfer.DeviceToServer` and `storage.DeleteFile` (edgehog-agent spec §9), validated
 * into typed requests. A bad request is data (its id, when it has one, and what is wrong), for
 * the feature to answer with EINVAL or ENOTSUP instead of acting on it.
 */
import type { AstarteObjectValue, AstarteValue } from '@astarte-ts/sdk-core'

/** Where a server-to-device file goes. */
export type Destination =
  { readonly type: 'storage' } | { readonly type: 'filesystem'; readonly path: string }

/** Where a device-to-server file comes from. */
export type Source =
  | { readonly type: 'storage'; readonly fileId: string }
  | { readonly type: 'filesystem'; readonly path: string }

export interface ServerToDeviceRequest {
  readonly kind: 'server_to_device'
  readonly id: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly progress: boolean
  /** From `digest` = `sha256:<hex>`. */
  readonly sha256?: string
  /** The space to have free before the download starts. */
  readonly fileSizeBytes?: number
  /** 0 = kept until deleted. */
  readonly ttlSeconds: number
  /** Unix mode bits, write bits removed (stored files are immutable). */
  readonly fileMode?: number
  readonly userId?: number
  readonly groupId?: number
  readonly destination: Destination
}

export interface DeviceToServerRequest {
  readonly kind: 'device_to_server'
  readonly id: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly progress: boolean
  readonly source: Source
}

export type TransferRequest = ServerToDeviceRequest | DeviceToServerRequest

export interface DeleteFileRequest {
  readonly id: string
  readonly fileId: string
  readonly force: boolean
}

/** Why a request is refused: `unsupported` for what the device does not do (ENOTSUP). */
export interface RequestProblem {
  readonly id: string | undefined
  readonly unsupported: boolean
  readonly message: string
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: RequestProblem }

/** `storage` file ids are path segments (Astarte endpoint parameters): no `/`, `#` or `+`. */
const FILE_ID = /^[^/#+\u0000]{1,255}$/

export function parseServerToDevice(v: AstarteObjectValue): Parsed<ServerToDeviceRequest> {
  const r = new Reader(v)
  const id = r.id('id')
  const url = r.url()
  const headers = r.headers()
  const encoding = r.string('encoding') ?? ''
  const digest = r.string('digest') ?? ''
  const type = r.string('destinationType')
  const destination = r.string('destination') ?? ''
  let sha256: string | undefined
  if (digest !== '') {
    const m = /^sha256:([0-9a-fA-F]{64})$/.exec(digest)
    if (m === null) r.fail('digest must be sha256:<64 hex digits>')
    else sha256 = m[1]?.toLowerCase()
  }
  if (encoding !== '') r.unsupported(`encoding ${JSON.stringify(encoding)} is not supported`)
  let dest: Destination | undefined
  if (type === 'storage') {
    if (id !== undefined && !FILE_ID.test(id)) r.fail('id must be a file id (no /, # or +)')
    dest = { type: 'storage' }
  } else if (type === 'filesystem') {
    if (!destination.startsWith('/')) r.fail('destination must be an absolute path')
    dest = { type: 'filesystem', path: destination }
  } else if (type === 'streaming') r.unsupported('destinationType streaming is not supported')
  else r.fail('destinationType must be storage or filesystem')
  const fileSizeBytes = r.count('fileSizeBytes')
  const fileMode = r.count('fileMode')
  const userId = r.owner('userId')
  const groupId = r.owner('groupId')
  const ttlSeconds = r.count('ttlSeconds') ?? 0
  if (r.problem !== undefined || id === undefined || url === undefined || dest === undefined) {
    return r.refused(id)
  }
  return {
    ok: true,
    value: {
      kind: 'server_to_device',
      id,
      url,
      headers,
      progress: r.boolean('progress'),
      ttlSeconds,
      destination: dest,
      ...(sha256 === undefined ? {} : { sha256 }),
      ...(fileSizeBytes === undefined || fileSizeBytes === 0 ? {} : { fileSizeBytes }),
      ...(fileMode === undefined || fileMode === 0 ? {} : { fileMode: fileMode & 0o7555 }),
      ...(userId === undefined ? {} : { userId }),
      ...(groupId === undefined ? {} : { groupId }),
    },
  }
}

export function parseDeviceToServer(v: AstarteObjectValue): Parsed<DeviceToServerRequest> {
  const r = new Reader(v)
  const id = r.id('id')
  const url = r.url()
  const headers = r.headers()
  const encoding = r.string('encoding') ?? ''
  const type = r.string('sourceType')
  const source = r.string('source') ?? ''
  if (encoding !== '') r.unsupported(`encoding ${JSON.stringify(encoding)} is not supported`)
  let src: Source | undefined
  if (type === 'storage') {
    if (!FILE_ID.test(source)) r.fail('source must be the id of a stored file')
    src = { type: 'storage', fileId: source }
  } else if (type === 'filesystem') {
    if (!source.startsWith('/')) r.fail('source must be an absolute path')
    src = { type: 'filesystem', path: source }
  } else if (type === 'streaming') r.unsupported('sourceType streaming is not supported')
  else r.fail('sourceType must be storage or filesystem')
  if (r.problem !== undefined || id === undefined || url === undefined || src === undefined) {
    return r.refused(id)
  }
  return {
    ok: true,
    value: {
      kind: 'device_to_server',
      id,
      url,
      headers,
      progress: r.boolean('progress'),
      source: src,
    },
  }
}

export function parseDeleteFile(v: AstarteObjectValue): Parsed<DeleteFileRequest> {
  const r = new Reader(v)
  const id = r.id('id')
  const fileId = r.string('fileId')
  if (fileId === undefined || !FILE_ID.test(fileId))
    r.fail('fileId must be the id of a stored file')
  if (r.problem !== undefined || id === undefined || fileId === undefined) return r.refused(id)
  return { ok: true, value: { id, fileId, force: r.boolean('force') } }
}

/** Reads the fields of one object, remembering the first problem. */
class Reader {
  problem: { message: string; unsupported: boolean } | undefined
  constructor(private readonly v: AstarteObjectValue) {}

  fail(message: string): void {
    this.problem ??= { message, unsupported: false }
  }
  unsupported(message: string): void {
    this.problem ??= { message, unsupported: true }
  }
  refused(id: string | undefined): { ok: false; problem: RequestProblem } {
    return {
      ok: false,
      problem: {
        id,
        unsupported: this.problem?.unsupported ?? false,
        message: this.problem?.message ?? 'incomplete request',
      },
    }
  }
  private field(name: string): AstarteValue | undefined {
    return this.v[name]
  }
  string(name: string): string | undefined {
    const value = this.field(name)
    if (value === undefined) return undefined
    if (typeof value === 'string') return value
    this.fail(`${name} must be a string`)
    return undefined
  }
  id(name: string): string | undefined {
    const value = this.string(name)
    if (value === undefined || value === '') {
      this.fail(`${name} is required`)
      return undefined
    }
    return value
  }
  url(): string | undefined {
    const value = this.string('url')
    let ok = false
    try {
      ok = value !== undefined && ['http:', 'https:'].includes(new URL(value).protocol)
    } catch {
      ok = false
    }
    if (!ok) this.fail('url must be an http(s) URL')
    return ok ? value : undefined
  }
  boolean(name: string): boolean {
    const value = this.field(name)
    if (value !== undefined && typeof value !== 'boolean') this.fail(`${name} must be a boolean`)
    return value === true
  }
  /** A longinteger ≥ 0 (bigint on the wire), as a number. */
  count(name: string): number | undefined {
    const n = this.integer(name)
    if (n !== undefined && n < 0) this.fail(`${name} must not be negative`)
    return n
  }
  /** A uid or gid; -1 (or absent) keeps the agent's own. */
  owner(name: string): number | undefined {
    const n = this.integer(name)
    if (n === undefined || n === -1) return undefined
    if (n < 0) this.fail(`${name} must be -1 or an id`)
    return n
  }
  private integer(name: string): number | undefined {
    const value = this.field(name)
    if (value === undefined) return undefined
    const n = typeof value === 'bigint' ? Number(value) : value
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      this.fail(`${name} must be an integer`)
      return undefined
    }
    return n
  }
  headers(): Record<string, string> {
    const keys = this.field('httpHeaderKeys') ?? []
    const values = this.field('httpHeaderValues') ?? []
    const strings = (a: unknown): a is string[] =>
      Array.isArray(a) && a.every((s) => typeof s === 'string')
    if (!strings(keys) || !strings(values) || keys.length !== values.length) {
      this.fail('httpHeaderKeys and httpHeaderValues must be string arrays of the same length')
      return {}
    }
    const pairs: [string, string][] = []
    keys.forEach((k, i) => {
      const value = values[i] ?? ''
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n\0]/.test(value)) {
        this.fail(`http header ${JSON.stringify(k)} is not a valid header`)
      } else pairs.push([k, value])
    })
    // fromEntries defines own keys: a header named `__proto__` stays a header
    return Object.fromEntries(pairs)
  }
}
