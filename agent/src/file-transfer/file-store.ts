/**
 * @module file store: the managed store of server-to-device files (`storage_dir`). Complete
 * files only sit at `<storage_dir>/<name>`; downloads in progress live under
 * `<storage_dir>/.incoming` and are renamed in once verified. Expiry times (`ttlSeconds`) are
 * kept in `<stateDir>/expiries.json`, so a restart still deletes files on time.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileDurably } from '../transfer/index.js'

const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/

export class FileStore {
  readonly dir: string
  readonly incoming: string
  readonly #expiriesFile: string
  #expiries: Record<string, number> = {}

  constructor(storageDir: string, stateDir: string) {
    this.dir = storageDir
    this.incoming = join(storageDir, '.incoming')
    this.#expiriesFile = join(stateDir, 'expiries.json')
  }

  async open(): Promise<void> {
    await mkdir(this.incoming, { recursive: true, mode: 0o700 })
    try {
      const v = JSON.parse(await readFile(this.#expiriesFile, 'utf8')) as unknown
      if (typeof v === 'object' && v !== null) {
        this.#expiries = Object.fromEntries(
          Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number'),
        )
      }
    } catch {
      this.#expiries = {}
    }
  }

  /**
   * The file name of a file id: the id itself when it is a plain name, else its sha256 (ids
   * are the server's, and may hold characters a file name should not).
   */
  nameOf(fileId: string): string {
    return PLAIN_NAME.test(fileId)
      ? fileId
      : `sha256-${createHash('sha256').update(fileId).digest('hex')}`
  }

  pathOf(fileId: string): string {
    return join(this.dir, this.nameOf(fileId))
  }

  incomingPathOf(fileId: string): string {
    return join(this.incoming, this.nameOf(fileId))
  }

  /** The size of a stored file, or `undefined` when there is none. */
  async sizeOf(fileId: string): Promise<number | undefined> {
    try {
      const s = await stat(this.pathOf(fileId))
      return s.isFile() ? s.size : undefined
    } catch {
      return undefined
    }
  }

  /**
   * Removes what unfinished downloads left in the incoming directory, except the parts of
   * `keep` (the ids of the downloads still to run).
   */
  async sweepIncoming(keep: ReadonlySet<string>): Promise<void> {
    const names = new Set([...keep].map((id) => this.nameOf(id)))
    for (const entry of await readdir(this.incoming)) {
      const name = entry.replace(/\.part(\.json(\.tmp)?)?$/, '')
      if (!names.has(name)) await rm(join(this.incoming, entry), { force: true, recursive: true })
    }
  }

  /** Moves a verified download in. */
  async admit(fileId: string): Promise<void> {
    await rename(this.incomingPathOf(fileId), this.pathOf(fileId))
  }

  /** Removes a stored file; false when there was none. */
  async remove(fileId: string): Promise<boolean> {
    const existed = (await this.sizeOf(fileId)) !== undefined
    await rm(this.pathOf(fileId), { force: true })
    await this.setExpiry(fileId, undefined)
    return existed
  }

  expiries(): Readonly<Record<string, number>> {
    return this.#expiries
  }

  async setExpiry(fileId: string, atMs: number | undefined): Promise<void> {
    if (atMs === undefined && !(fileId in this.#expiries)) return
    const next = { ...this.#expiries }
    if (atMs === undefined) delete next[fileId]
    else next[fileId] = atMs
    await writeFileDurably(this.#expiriesFile, JSON.stringify(next))
    this.#expiries = next
  }
}

/** Bytes to keep free under `dir`: `percent` of its file system. */
export async function reservedBytes(dir: string, percent: number): Promise<number> {
  const s = await statfs(dir)
  return Math.ceil((s.blocks * s.bsize * percent) / 100)
}
