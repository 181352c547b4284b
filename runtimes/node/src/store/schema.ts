/**
 * @module store schema: the SQLite layout and its explicit, numbered migrations.
 * `PRAGMA user_version` is the number of migrations applied; a file from a newer SDK is refused
 * rather than misread.
 */
import type { SqliteDatabase } from '@astarte-ts/sqlite'

/** Migration N (1-based) brings a database from version N-1 to N. Append only, never edit. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE properties (
     interface TEXT NOT NULL,
     path TEXT NOT NULL,
     major INTEGER NOT NULL,
     ownership TEXT NOT NULL CHECK (ownership IN ('device', 'server')),
     payload BLOB NOT NULL,
     PRIMARY KEY (interface, path)
   ) WITHOUT ROWID;
   CREATE TABLE queue (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     topic TEXT NOT NULL,
     payload BLOB NOT NULL,
     qos INTEGER NOT NULL CHECK (qos IN (0, 1, 2)),
     created INTEGER NOT NULL,
     expires INTEGER
   );
   CREATE INDEX queue_expires ON queue (expires) WHERE expires IS NOT NULL;
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
]

export const SCHEMA_VERSION = MIGRATIONS.length

/** Applies the missing migrations in one transaction; returns the version found before. */
export function migrate(db: SqliteDatabase): number {
  const found = db.pragma('user_version') as number
  if (found > SCHEMA_VERSION) {
    throw new RangeError(`schema version ${found} is newer than supported ${SCHEMA_VERSION}`)
  }
  db.transaction(() => {
    for (let v = found; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v] ?? '')
      // user_version does not take bound parameters; v is an integer we computed.
      db.pragma(`user_version = ${v + 1}`)
    }
  })
  return found
}
