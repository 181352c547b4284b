/**
 * @module device events: what a `Device` tells its user. Server-owned data arrives as
 * `ServerMessage`s (also through `device.messages()`); bad server data is an event, never a
 * throw, and the device keeps running (spec §3.8).
 */
import type {
  AstarteObjectValue,
  AstarteValue,
  DeviceMetrics as CoreDeviceMetrics,
  DeviceStateTag,
  Issue,
  SdkError,
} from '@astarte-ts/sdk-core'

/** Server-owned data received by the device. */
export type ServerMessage =
  | {
      readonly type: 'individual'
      readonly interfaceName: string
      readonly path: string
      readonly value: AstarteValue
      readonly timestamp?: Date
    }
  | {
      readonly type: 'object'
      readonly interfaceName: string
      readonly path: string
      readonly value: AstarteObjectValue
      readonly timestamp?: Date
    }
  | { readonly type: 'unset'; readonly interfaceName: string; readonly path: string }

/** The machine's state tags, plus `closed` once `close()` ran. */
export type DeviceStateName = DeviceStateTag | 'closed'

/** The core machine's counters, plus what the façade itself drops. */
export type DeviceMetrics = Omit<CoreDeviceMetrics, 'lastError'> & {
  /** Server messages dropped because a `messages()` consumer was too slow. */
  readonly streamDropped: number
  readonly lastError?: SdkError
}

/** Event name → payload, for `device.on(name, listener)`. */
export interface DeviceEvents {
  /** Server-owned data (same items as `device.messages()`). */
  data: ServerMessage
  /** Server data that didn't match its interface; the device ignored it and keeps running. */
  dataError: {
    readonly interfaceName: string
    readonly path: string
    readonly issues: readonly Issue[]
  }
  connected: { readonly sessionPresent?: boolean }
  /** The full sync (or flush) after a connect is done: queued data is flowing. */
  synced: Record<string, never>
  disconnected: { readonly error?: SdkError }
  stateChanged: { readonly state: DeviceStateName }
  warning: { readonly message: string; readonly ctx: Readonly<Record<string, unknown>> }
  /** A failure the device can't recover from alone (e.g. its credentials secret was refused). */
  error: SdkError
}
