/** @module sqlite property store: the property cache (spec §3.8), one row per interface + path */
import type { SqliteDatabase, SqliteStatement } from '@astarte-ts/sqlite'
import type { Ownership, PropertyStore, StoredProperty } from '@astarte-ts/sdk-core'
import { blobBytes } from './bytes.js'

interface Row {
  interface: string
  path: string
  major: number
  ownership: Ownership
  payload: Buffer
}

const toProperty = (r: Row): StoredProperty => ({
  interfaceName: r.interface,
  major: r.major,
  path: r.path,
  ownership: r.ownership,
  payload: blobBytes(r.payload),
})

export class SqlitePropertyStore implements PropertyStore {
  readonly #get: SqliteStatement<[string, string], Row>
  readonly #set: SqliteStatement<[string, string, number, Ownership, Uint8Array]>
  readonly #delete: SqliteStatement<[string, string]>
  readonly #listAll: SqliteStatement<[], Row>
  readonly #listOwned: SqliteStatement<[Ownership], Row>

  constructor(db: SqliteDatabase) {
    this.#get = db.prepare('SELECT * FROM properties WHERE interface = ? AND path = ?')
    this.#set = db.prepare(
      `INSERT OR REPLACE INTO properties (interface, path, major, ownership, payload)
       VALUES (?, ?, ?, ?, ?)`,
    )
    this.#delete = db.prepare('DELETE FROM properties WHERE interface = ? AND path = ?')
    this.#listAll = db.prepare('SELECT * FROM properties ORDER BY interface, path')
    this.#listOwned = db.prepare(
      'SELECT * FROM properties WHERE ownership = ? ORDER BY interface, path',
    )
  }

  get(interfaceName: string, path: string): StoredProperty | undefined {
    const row = this.#get.get(interfaceName, path)
    return row === undefined ? undefined : toProperty(row)
  }

  set(p: StoredProperty): void {
    this.#set.run(p.interfaceName, p.path, p.major, p.ownership, p.payload)
  }

  delete(interfaceName: string, path: string): void {
    this.#delete.run(interfaceName, path)
  }

  list(ownership?: Ownership): StoredProperty[] {
    const rows = ownership === undefined ? this.#listAll.all() : this.#listOwned.all(ownership)
    return rows.map(toProperty)
  }
}
