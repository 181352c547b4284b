/**
 * @module sqlite store: a device's `Store` in one SQLite file (WAL). `stored` messages, cached
 * properties and meta survive restarts; the `volatile` queue lives in memory with the same bounds.
 * A file that is not a database, or one written by a newer schema, is refused with an error
 * naming it, never silently recreated.
 */
import Database from 'better-sqlite3'
import { SdkError } from '@astarte-ts/sdk-core'
import type { Store } from '@astarte-ts/sdk-core'
import { MemoryRetentionQueue } from './memory-retention-queue.js'
import { sqliteNativeBinding } from './native-binding.js'
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
}

/** `Store` on SQLite, plus what a Node process needs: batching and closing. */
export interface SqliteStore extends Store {
  readonly path: string
  readonly storedQueue: SqliteRetentionQueue
  readonly volatileQueue: MemoryRetentionQueue
  readonly properties: SqlitePropertyStore
  readonly meta: SqliteMeta
  /**
   * Runs `fn` in one transaction: many `enqueue`/`set` calls cost one commit (one fsync with
   * `full`). They are durable when `batch` returns; if `fn` throws, none of them happened.
   */
  batch<T>(fn: () => T): T
  close(): void
}

const unreadable = (path: string, cause: unknown): SdkError =>
  new SdkError('local.store_unreadable', `couldn't open the store file ${path}`, {
    ctx: { path, schemaVersion: SCHEMA_VERSION },
    cause,
  })

function openDatabase(path: string, synchronous: SqliteSynchronous): Database.Database {
  let db: Database.Database | undefined
  try {
    const nativeBinding = sqliteNativeBinding()
    // better-sqlite3 takes the loaded addon too; its types name only the path
    db = new Database(
      path,
      nativeBinding === undefined ? {} : { nativeBinding: nativeBinding as string },
    )
    // The first statements read the header: a non-database file fails here (SQLITE_NOTADB).
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('foreign_keys = ON')
    migrate(db)
    return db
  } catch (cause) {
    db?.close()
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
  const db = openDatabase(options.path, options.synchronous ?? 'full')
  const storedQueue = new SqliteRetentionQueue(db, storedBounds)
  return {
    path: options.path,
    storedQueue,
    volatileQueue,
    properties: new SqlitePropertyStore(db),
    meta: new SqliteMeta(db),
    batch<T>(fn: () => T): T {
      try {
        return db.transaction(fn)()
      } catch (e) {
        storedQueue.reloadTotals()
        throw e
      }
    },
    close(): void {
      if (db.open) db.close()
    },
  }
}
