/**
 * @module id table: what the device keeps by ascending integer id (the publishes in flight, the
 * sends awaiting their outcome). A `Map` is one, and the default. `ascendingIdTable` is the
 * runtime's choice where messages churn by the thousand a second (Node: see `AscendingIdMap`);
 * a runtime that doesn't pass it leaves that class out of its bundle (the ESP32 builds, whose
 * window holds a few dozen publishes).
 */
import { AscendingIdMap } from './ascending-id-map.js'

/** The operations the device uses: a subset of `Map`'s. */
export interface IdTable<V> {
  readonly size: number
  get(id: number): V | undefined
  set(id: number, value: V): unknown
  delete(id: number): boolean
  /** Every entry; the table may change while they are read. */
  entries(): Iterable<[number, V]>
  clear(): void
}

/** Makes an empty table: `DeviceConfig.idTable`, `DeviceDriverOptions.idTable`. */
export type IdTableFactory = <V extends NonNullable<unknown>>() => IdTable<V>

export const mapIdTable: IdTableFactory = () => new Map()

export const ascendingIdTable: IdTableFactory = () => new AscendingIdMap()
