/** @module sqlite meta: small string values kept across restarts */
import type Database from 'better-sqlite3'
import type { KeyValueStore } from '@astarte-ts/sdk-core'

export class SqliteMeta implements KeyValueStore {
  readonly #get: Database.Statement<[string], { value: string }>
  readonly #set: Database.Statement<[string, string]>
  readonly #delete: Database.Statement<[string]>

  constructor(db: Database.Database) {
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
