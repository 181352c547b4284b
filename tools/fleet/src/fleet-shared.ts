/** @module fleet shared: what every simulated device of one run reads (and the stats it writes). */
import type { Inflater, Interface, PropertyStore, Qos, TopicPrefix } from '@astarte-ts/sdk-core'
import type { FleetStats } from './fleet-stats.js'
import type { Schedule } from './schedule.js'
import type { BrokerLink } from './session-link.js'

export interface FleetShared {
  readonly realm: string
  /** Where and how every device connects; its CA is parsed once for the whole fleet. */
  readonly broker: BrokerLink
  /** The device's interface set: introspected in full at every full sync (spec §3.3). */
  readonly interfaces: readonly Interface[]
  /** Simulated devices own no properties: their purge list is always empty (spec §3.6). */
  readonly noProperties: PropertyStore
  readonly inflater: Inflater
  /** 1000 / rate: each device sends one value per period. */
  readonly periodMs: number
  /**
   * `performance.now()` time after which nothing new is sent and nobody reconnects: `Infinity`
   * until every device got its first connection, then `duration` later.
   */
  readonly endMs: number
  /**
   * Whether a connection may start now: handshakes cost CPU (key parsing, ECDHE, signatures), so
   * their number in flight and the time spent opening per tick are bounded; the ramp stretches
   * to what the machine can do rather than stalling the event loop.
   */
  admitOpen(): boolean
  readonly schedule: Schedule
  readonly stats: FleetStats
  readonly qos: Qos
  topicPrefix(deviceId: string): TopicPrefix
  dataTopic(deviceId: string): string
  payload(seq: number): Uint8Array
  /** A reconnect delay: random in [1 s, 5 s) so a dropped fleet doesn't come back at once. */
  backoffMs(): number
}

export const noProperties: PropertyStore = {
  get: () => undefined,
  set: () => undefined,
  delete: () => undefined,
  list: () => [],
}
