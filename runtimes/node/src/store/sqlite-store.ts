/**
 * @module sqlite store: a device's `Store` in one SQLite file (WAL). `stored` messages, cached
 * properties and meta survive restarts; the `volatile` queue lives in memory with the same bounds.
 * A file that is not a database, or one written by a newer schema, is refused with an error
 * naming it, never silently recreated.
 *
 * A full disk is an everyday fault on small boards. The WAL is kept bounded (checkpoints every
 * `walBytes`, and the file truncated to that size after one), and after a failed transaction it
 * is checkpointed and truncated to nothing: otherwise the WAL keeps the space it grew into, and
 * space freed later on the disk is of no use to the next commit. The page cache is bounded
 * (`cacheBytes`): it is most of what the store costs in memory; the file is never mapped.
 */
import {
  SqliteBindingError,
  openSqlite,
  sqliteErrorCode,
  type SqliteDatabase,
} from '@astarte-ts/sqlite'
import { SdkError } from '@astarte-ts/sdk-core'
import type { Store } from '@astarte-ts/sdk-core'
import { MemoryRetentionQueue } from './memory-retention-queue.js'
import { resolveBounds } from './queue-bounds.js'
import type { OverflowEvent, OverflowPolicy, QueueBoundsOptions } from './queue-bounds.js'
import { SCHEMA_VERSION, migrate } from './schema.js'
import { SqliteMeta } from './sqlite-meta.js'
import { SqlitePropertyStore } from './sqlite-property-store.js'
import { SqliteRetentionQueue } from './sqlite-retention-queue.js'

/**
 * `full`: every commit is fsynced, durable against power loss. `normal`: in WAL mode a commit
 * survives a process crash (SIGKILL) but may be lost on power loss; several times faster.
 */
export type SqliteSynchronous = 'full' | 'normal'

export interface SqliteStoreOptions {
  /** The database file, one per device. Its directory must exist. */
  readonly path: string
  /** Bound of the `stored` queue in messages; default 100 000. */
  readonly maxStoredMessages?: number
  /** Bound of the `stored` queue in payload bytes; default 64 MiB. */
  readonly maxStoredBytes?: number
  /** What a full queue does; default `drop-oldest`. */
  readonly overflow?: OverflowPolicy
  /** Told about every `drop-oldest` eviction (both queues), e.g. to log a warning. */
  readonly onOverflow?: (event: OverflowEvent) => void
  /** Bounds of the in-memory `volatile` queue; default those of the `stored` queue. */
  readonly volatile?: QueueBoundsOptions
  /** Default `full`. */
  readonly synchronous?: SqliteSynchronous
  /**
   * SQLite's page cache, in bytes; default 512 KiB. better-sqlite3 builds SQLite with a 16 MB
   * default: measured on a backlog of 200 000 messages enqueued then drained, the process grew
   * by 21.5 MB of RSS with it and by 6 MB with 512 KiB, for about 6% more time.
   */
  readonly cacheBytes?: number
  /**
   * WAL size that triggers a checkpoint, and that the WAL file is truncated to after one, in
   * bytes; default 1 MiB.
   */
  readonly walBytes?: number
}

/** Default `SqliteStoreOptions.cacheBytes`. */
export const DEFAULT_CACHE_BYTES = 512 * 1024
/** Default `SqliteStoreOptions.walBytes`. */
export const DEFAULT_WAL_BYTES = 1024 * 1024

/** `Store` on SQLite, plus what a Node process needs: batching and closing. */
export interface SqliteStore extends Store {
  readonly path: string
  readonly storedQueue: SqliteRetentionQueue
  readonly volatileQueue: MemoryRetentionQueue
  readonly properties: SqlitePropertyStore
  readonly meta: SqliteMeta
  /**
   * The page cache and WAL bounds in force, as SQLite reports them, and `mmapBytes`, always 0:
   * the file is read through the bounded page cache, never mapped.
   */
  readonly limits: {
    readonly cacheBytes: number
    readonly walBytes: number
    readonly mmapBytes: number
  }
  /**
   * Runs `fn` in one transaction: many `enqueue`/`set` calls cost one commit (one fsync with
   * `full`). They are durable when `batch` returns; if `fn` throws, or the commit fails, none of
   * them happened. A failure of the store itself (a full disk: SQLite's `SQLITE_FULL`) is thrown
   * as `local.io_failed` naming the file, the SQLite code in `ctx.sqliteCode`; what `fn` threw
   * otherwise is rethrown as it is.
   */
  batch<T>(fn: () => T): T
  close(): void
}

const unreadable = (path: string, cause: unknown): SdkError =>
  new SdkError('local.store_unreadable', `couldn't open the store file ${path}`, {
    ctx: { path, schemaVersion: SCHEMA_VERSION },
    cause,
  })

/** A SQLite failure as `local.io_failed`, naming the file; anything else as it is. */
function storeError(path: string, e: unknown): unknown {
  const sqliteCode = sqliteErrorCode(e)
  if (sqliteCode === undefined || e instanceof SdkError) return e
  const why = sqliteCode === 'SQLITE_FULL' ? 'the disk is full' : (e as Error).message
  return new SdkError('local.io_failed', `couldn't write the store file ${path}: ${why}`, {
    ctx: { path, sqliteCode },
    cause: e,
  })
}

function positiveInteger(name: string, value: number): number {
  if (Number.isInteger(value) && value > 0) return value
  throw new SdkError(
    'local.invalid_option',
    `couldn't open the store: ${name} must be a positive integer`,
    {
      ctx: { [name]: value },
    },
  )
}

interface DatabaseSettings {
  readonly synchronous: SqliteSynchronous
  readonly cacheBytes: number
  readonly walBytes: number
}

function openDatabase(path: string, settings: DatabaseSettings): SqliteDatabase {
  let db: SqliteDatabase | undefined
  try {
    db = openSqlite(path)
    // The first statements read the header: a non-database file fails here (SQLITE_NOTADB).
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${settings.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('foreign_keys = ON')
    // integers we computed: pragmas take no bound parameters
    db.pragma(`cache_size = -${Math.max(1, Math.ceil(settings.cacheBytes / 1024))}`)
    // Pages of a mapped file count in the process's RSS, up to the file's size, which grows with
    // the backlog: the file is read through the bounded cache instead, whatever default the
    // binding was built with (better-sqlite3: 0; a SQLite built with SQLITE_DEFAULT_MMAP_SIZE
    // would map it).
    db.pragma('mmap_size = 0')
    const pageSize = db.pragma('page_size') as number
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(settings.walBytes / pageSize))}`)
    db.pragma(`journal_size_limit = ${settings.walBytes}`)
    migrate(db)
    return db
  } catch (cause) {
    db?.close()
    if (cause instanceof SqliteBindingError) {
      // not the file's fault: say what this Node lacks and how to give it
      throw new SdkError(
        'local.store_unreadable',
        `couldn't open the store file ${path}: ${cause.message}`,
        {
          ctx: { path },
          cause,
        },
      )
    }
    throw unreadable(path, cause)
  }
}

/** Opens (creating and migrating when needed) the store file at `options.path`. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const onOverflow = options.onOverflow ?? ((): void => undefined)
  const storedBounds = resolveBounds({
    ...(options.maxStoredMessages === undefined ? {} : { maxMessages: options.maxStoredMessages }),
    ...(options.maxStoredBytes === undefined ? {} : { maxBytes: options.maxStoredBytes }),
    overflow: options.overflow ?? 'drop-oldest',
    onOverflow,
  })
  const volatileQueue = new MemoryRetentionQueue({
    maxMessages: storedBounds.maxMessages,
    maxBytes: storedBounds.maxBytes,
    overflow: storedBounds.overflow,
    onOverflow,
    ...options.volatile,
  })
  const db = openDatabase(options.path, {
    synchronous: options.synchronous ?? 'full',
    cacheBytes: positiveInteger('cacheBytes', options.cacheBytes ?? DEFAULT_CACHE_BYTES),
    walBytes: positiveInteger('walBytes', options.walBytes ?? DEFAULT_WAL_BYTES),
  })
  const storedQueue = new SqliteRetentionQueue(db, storedBounds)
  const truncateWal = (): void => {
    try {
      db.pragma('wal_checkpoint(TRUNCATE)')
    } catch {
      // the disk may still be full: the next failed transaction tries again
    }
  }
  return {
    path: options.path,
    limits: {
      cacheBytes: -(db.pragma('cache_size') as number) * 1024,
      walBytes: db.pragma('journal_size_limit') as number,
      mmapBytes: db.pragma('mmap_size') as number,
    },
    storedQueue,
    volatileQueue,
    properties: new SqlitePropertyStore(db),
    meta: new SqliteMeta(db),
    batch<T>(fn: () => T): T {
      try {
        return db.transaction(fn)
      } catch (e) {
        storedQueue.reloadTotals()
        if (sqliteErrorCode(e) !== undefined) truncateWal()
        throw storeError(options.path, e)
      }
    },
    close(): void {
      db.close()
    },
  }
}
