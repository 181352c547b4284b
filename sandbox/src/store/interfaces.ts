/**
 * @module store interfaces: the realm's installed interfaces, keyed by (name, major). Rows hold
 * the JSON as installed; the parsed model is rebuilt from it on load and cached.
 */
import { parseInterface, type Interface } from '@astarte-ts/sdk-core'
import type { Db } from './db.js'

export class InterfaceStore {
  private readonly cache = new Map<string, Interface>()

  constructor(private readonly db: Db) {}

  /** Stores an interface that `parseInterface` accepted; `json` is the document as received. */
  install(iface: Interface, json: unknown): void {
    this.db
      .prepare('INSERT INTO interfaces (name, major, minor, json) VALUES (?, ?, ?, ?)')
      .run(iface.name, iface.major, iface.minor, JSON.stringify(json))
    this.cache.set(key(iface.name, iface.major), iface)
  }

  /** Whether (name, major) is installed. */
  has(name: string, major: number): boolean {
    return this.get(name, major) !== undefined
  }

  get(name: string, major: number): Interface | undefined {
    const k = key(name, major)
    const cached = this.cache.get(k)
    if (cached !== undefined) return cached
    const row = this.db
      .prepare('SELECT json FROM interfaces WHERE name = ? AND major = ?')
      .get(name, major) as { json: string } | undefined
    if (row === undefined) return undefined
    const parsed = parseInterface(JSON.parse(row.json) as unknown)
    if (!parsed.ok) return undefined
    this.cache.set(k, parsed.value)
    return parsed.value
  }

  /** The JSON document of (name, major) as installed. */
  getJson(name: string, major: number): unknown {
    const row = this.db
      .prepare('SELECT json FROM interfaces WHERE name = ? AND major = ?')
      .get(name, major) as { json: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.json) as unknown)
  }

  /** Installed interface names, sorted. */
  names(): string[] {
    const rows = this.db.prepare('SELECT DISTINCT name FROM interfaces ORDER BY name').all() as {
      name: string
    }[]
    return rows.map((r) => r.name)
  }

  /** Installed majors of `name`, ascending. */
  majors(name: string): number[] {
    const rows = this.db
      .prepare('SELECT major FROM interfaces WHERE name = ? ORDER BY major')
      .all(name) as { major: number }[]
    return rows.map((r) => r.major)
  }
}

function key(name: string, major: number): string {
  return `${name}\u0000${major}`
}
