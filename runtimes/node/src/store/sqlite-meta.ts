/** @module sqlite meta: small string values kept across restarts */
import type { SqliteDatabase, SqliteStatement } from '@astarte-ts/sqlite'
import type { KeyValueStore } from '@astarte-ts/sdk-core'

export class SqliteMeta implements KeyValueStore {
  readonly #get: SqliteStatement<[string], { value: string }>
  readonly #set: SqliteStatement<[string, string]>
  readonly #delete: SqliteStatement<[string]>

  constructor(db: SqliteDatabase) {
    this.#get = db.prepare('SELECT value FROM meta WHERE key = ?')
    this.#set = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
    this.#delete = db.prepare('DELETE FROM meta WHERE key = ?')
  }

  get(key: string): string | undefined {
    return this.#get.get(key)?.value
  }

  set(key: string, value: string): void {
    this.#set.run(key, value)
  }

  delete(key: string): void {
    this.#delete.run(key)
  }
}
