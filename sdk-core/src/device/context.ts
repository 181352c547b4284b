/**
 * @module device context: what the device machine keeps across states — settings, interfaces,
 * the store, the outbox, counters — and the action buffer its steps append to. Only steps
 * mutate it.
 */
import type { SdkError } from '../errors.js'
import type { Interface } from '../interface/model.js'
import type { Inflater, Logger, Store } from '../ports.js'
import type { BrokerAddress } from '../pairing/broker-url.js'
import type { PairingMachine } from '../pairing/machine/pairing-machine.js'
import type { PurgeFormat } from '../protocol/purge.js'
import type { TopicPrefix } from '../protocol/topics.js'
import type { Obsolete, Outbox, OutboxCounters } from './outbox.js'
import type { StoreFailure, TxRecord } from './store-transaction.js'
import type { TopicCache } from './topic-cache.js'
import type { DeviceAction, DeviceEvent, OpId } from './types.js'

export interface Context {
  readonly prefix: TopicPrefix
  readonly clientId: string
  readonly store: Store
  readonly inflater: Inflater
  readonly logger: Logger | undefined
  readonly keepaliveSec: number
  readonly backoff: { readonly minMs: number; readonly maxMs: number }
  readonly stableAfterMs: number
  readonly random: () => number
  readonly purgeFormat: PurgeFormat
  readonly maxPayloadBytes: number
  readonly pairing: PairingMachine | undefined
  broker: BrokerAddress | undefined
  /** The introspection, by interface name. */
  readonly interfaces: Map<string, Interface>
  readonly outbox: Outbox
  /** Whether a queued message must not be sent (see `sync.ts`); made once, used by every pump. */
  readonly obsolete: Obsolete
  readonly topics: TopicCache
  readonly counters: OutboxCounters & { reconnects: number }
  lastError: SdkError | undefined
  /** Consecutive failed connections: drives the backoff. */
  attempt: number
  /** Set when renewed credentials require a new connection right after this one closes. */
  reconnectNow: boolean
  /** Set while a planned reconnect waits for the publishes in flight (see `drain.ts`). */
  drainTimerId: string | undefined
  everConnected: boolean
  /** Stored-queue ids below this were superseded by the last full sync's property values. */
  propertyReplayFloor: number | undefined
  /** True between a full sync's plan and the next enqueue: every stored id is below the floor. */
  floorPending: boolean
  lastId: number
  /** The actions of the input being handled (a fresh list per input). */
  out: DeviceAction[]
  /** The record of the store transaction under way (see `store-transaction.ts`). */
  tx: TxRecord | undefined
  /** Set while the store can't write: stored rows wait, a probe retries (`store-transaction.ts`). */
  storeFailure: StoreFailure | undefined
  /** A rolled-back transaction may have lost sync markers: the next connection syncs in full. */
  resync: boolean
  /**
   * Pairing requests of a restart that connects with stored credentials, held until that connect
   * attempt is over (see `pairing-bridge.ts`); `DeviceMachine.handle` releases them.
   */
  pairingAfterConnect: DeviceAction[]
}

/** A fresh request or timer id, distinct from the pairing machine's `pairing.*` ids. */
export function nextId(ctx: Context, kind: string): string {
  ctx.lastId += 1
  return `device.${kind}.${ctx.lastId}`
}

/** Arms a new timer of `kind` at `atMs`, its action into `out` (the input's); returns its id. */
export function setTimer(ctx: Context, kind: string, atMs: number, out = ctx.out): string {
  const timerId = nextId(ctx, kind)
  out.push({ type: 'timer.set', timerId, atMs })
  return timerId
}

export function cancelTimer(ctx: Context, timerId: string): void {
  ctx.out.push({ type: 'timer.cancel', timerId })
}

/** The failure of send `opId`, as the action that reports it. */
export const sendFailed = (opId: OpId, error: SdkError): DeviceAction => ({
  type: 'event',
  event: { type: 'sendFailed', opId, error },
})

export function emit(ctx: Context, event: DeviceEvent): void {
  ctx.out.push({ type: 'event', event })
}

/** Logs `message` at `level` and returns the `warning` event telling the listeners. */
export function warning(
  ctx: Context,
  message: string,
  details: Readonly<Record<string, unknown>>,
  level: 'info' | 'warn' = 'warn',
): DeviceAction {
  ctx.logger?.log(level, message, details)
  return { type: 'event', event: { type: 'warning', message, ctx: details } }
}

export function warn(
  ctx: Context,
  message: string,
  details: Readonly<Record<string, unknown>>,
): void {
  ctx.out.push(warning(ctx, message, details))
}
