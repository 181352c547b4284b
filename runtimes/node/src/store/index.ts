export { MemoryRetentionQueue } from './memory-retention-queue.js'
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_MESSAGES,
  type OverflowEvent,
  type OverflowPolicy,
  type QueueBounds,
  type QueueBoundsOptions,
} from './queue-bounds.js'
export { SCHEMA_VERSION } from './schema.js'
export { SqliteMeta } from './sqlite-meta.js'
export { SqlitePropertyStore } from './sqlite-property-store.js'
export { SqliteRetentionQueue } from './sqlite-retention-queue.js'
export {
  DEFAULT_CACHE_BYTES,
  DEFAULT_WAL_BYTES,
  openSqliteStore,
  type SqliteStore,
  type SqliteStoreOptions,
  type SqliteSynchronous,
} from './sqlite-store.js'
