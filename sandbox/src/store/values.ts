/**
 * @module store values: what devices and AppEngine wrote. Values are kept in their AppEngine JSON
 * form (spec §5), so reading them back needs no interface; datastreams keep every sample,
 * properties only the current value per path.
 */
import type { Db } from './db.js'

/** Where a value lives: device, interface and the major it was sent with. */
export interface ValueKey {
  readonly deviceId: string
  readonly interfaceName: string
  readonly major: number
}

export interface DatastreamSample {
  readonly path: string
  readonly valueJson: unknown
  readonly timestampMs: number
  readonly receptionMs: number
}

export interface PropertyValue {
  readonly path: string
  readonly valueJson: unknown
}

/** Filters of a datastream history read (AppEngine `since`, `since_after`, `to`, `limit`). */
export interface HistoryQuery {
  readonly sinceMs?: number
  readonly sinceAfterMs?: number
  readonly toMs?: number
  readonly limit?: number
}

interface SampleRow {
  path: string
  value_json: string
  timestamp_ms: number
  reception_ms: number
}

export class ValueStore {
  constructor(private readonly db: Db) {}

  appendSample(k: ValueKey, sample: DatastreamSample): void {
    this.db
      .prepare(
        `INSERT INTO datastream_values
           (device_id, interface, major, path, value_json, timestamp_ms, reception_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        k.deviceId,
        k.interfaceName,
        k.major,
        sample.path,
        JSON.stringify(sample.valueJson),
        sample.timestampMs,
        sample.receptionMs,
      )
  }

  /** Samples of one path, oldest first within the query window (the newest `limit` ones). */
  history(k: ValueKey, path: string, q: HistoryQuery): DatastreamSample[] {
    const where = ['device_id = ?', 'interface = ?', 'major = ?', 'path = ?']
    const args: (string | number)[] = [k.deviceId, k.interfaceName, k.major, path]
    if (q.sinceMs !== undefined) {
      where.push('timestamp_ms >= ?')
      args.push(q.sinceMs)
    }
    if (q.sinceAfterMs !== undefined) {
      where.push('timestamp_ms > ?')
      args.push(q.sinceAfterMs)
    }
    if (q.toMs !== undefined) {
      where.push('timestamp_ms < ?')
      args.push(q.toMs)
    }
    // Without a lower bound `limit` keeps the most recent samples (AppEngine); with one, the first.
    const lowerBound = q.sinceMs !== undefined || q.sinceAfterMs !== undefined
    const newestFirst = q.limit !== undefined && !lowerBound
    const order = newestFirst ? 'DESC' : 'ASC'
    const limit = q.limit === undefined ? '' : ` LIMIT ${q.limit}`
    const rows = this.db
      .prepare(
        `SELECT path, value_json, timestamp_ms, reception_ms FROM datastream_values
         WHERE ${where.join(' AND ')} ORDER BY timestamp_ms ${order}, id ${order}${limit}`,
      )
      .all(...args) as SampleRow[]
    const samples = rows.map(toSample)
    return newestFirst ? samples.reverse() : samples
  }

  /** The latest sample of every path of an interface. */
  latestPerPath(k: ValueKey): DatastreamSample[] {
    const rows = this.db
      .prepare(
        `SELECT path, value_json, timestamp_ms, reception_ms FROM datastream_values d
         WHERE device_id = ? AND interface = ? AND major = ? AND id = (
           SELECT id FROM datastream_values e
           WHERE e.device_id = d.device_id AND e.interface = d.interface AND e.major = d.major
             AND e.path = d.path
           ORDER BY timestamp_ms DESC, id DESC LIMIT 1)
         ORDER BY path`,
      )
      .all(k.deviceId, k.interfaceName, k.major) as SampleRow[]
    return rows.map(toSample)
  }

  setProperty(k: ValueKey, path: string, valueJson: unknown, nowMs: number): void {
    this.db
      .prepare(
        `INSERT INTO properties (device_id, interface, major, path, value_json, reception_ms)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, interface, major, path)
         DO UPDATE SET value_json = excluded.value_json, reception_ms = excluded.reception_ms`,
      )
      .run(k.deviceId, k.interfaceName, k.major, path, JSON.stringify(valueJson), nowMs)
  }

  unsetProperty(k: ValueKey, path: string): void {
    this.db
      .prepare(
        `DELETE FROM properties
         WHERE device_id = ? AND interface = ? AND major = ? AND path = ?`,
      )
      .run(k.deviceId, k.interfaceName, k.major, path)
  }

  properties(k: ValueKey): PropertyValue[] {
    const rows = this.db
      .prepare(
        `SELECT path, value_json FROM properties
         WHERE device_id = ? AND interface = ? AND major = ? ORDER BY path`,
      )
      .all(k.deviceId, k.interfaceName, k.major) as { path: string; value_json: string }[]
    return rows.map((r) => ({ path: r.path, valueJson: JSON.parse(r.value_json) as unknown }))
  }
}

function toSample(r: SampleRow): DatastreamSample {
  return {
    path: r.path,
    valueJson: JSON.parse(r.value_json) as unknown,
    timestampMs: r.timestamp_ms,
    receptionMs: r.reception_ms,
  }
}
