/**
 * @module store transaction: the device machine's side of the store transactions a runtime runs
 * around groups of inputs (group commit), and what the device does while its store can't write
 * (a full disk, an I/O error).
 *
 * A failed transaction is rolled back in memory too, not answered by reloading the whole machine
 * from the store: the runtime says where a transaction begins and how it ends, the machine
 * records what the transaction's inputs did that rests on its writes, and a rollback undoes
 * exactly that. A full disk is an everyday fault on small boards; rolling back keeps the
 * connection, the sync and the messages that don't need the store (`discard`, `volatile`,
 * server data) flowing, where a reload would have to forget every publish in flight and so
 * replay them. On a rollback:
 * - the sends whose completion rested on a write (a `stored` row, a property) fail with the
 *   transaction's error; other sends keep their outcome;
 * - no publish of a stored row made in the transaction is performed (the row may not exist, its
 *   id may be issued again); control publishes are withheld too when the transaction wrote a
 *   property, and the connection is then replaced so that the sync runs again;
 * - stored rows acknowledged in the transaction are back in the queue: they are never published
 *   again by this process (see `QueueCursor.unrecorded`), their removal is retried;
 * - the next connection runs a full sync: the sync markers may have been lost, and so may server
 *   properties the transport already acknowledged (emptyCache has Astarte send them again); when
 *   some were lost, the connection is replaced as soon as the store writes again;
 * - a step a port failed under may have stopped half way (a sync that never ends): the
 *   connection is replaced at once.
 *
 * While the store can't write, no stored row is published (each acknowledgement would be lost,
 * and its row published again: a publish storm), and a probe retries on a timer, with the
 * connection backoff's bounds, doubling: it removes the acknowledged rows not recorded yet and
 * writes a meta key. When its transaction commits the store accepts writes again and stored rows
 * flow. Entering and leaving that state is logged once and emitted as a `warning` event.
 *
 * The transactions' half is an optional piece (`DeviceConfig.storeTransactions`): a runtime whose
 * store has transactions (a `batch`: Node's SQLite) passes `storeTransactions`; one whose store
 * writes each change as it is made (the ESP32 stores) doesn't, and its bundle leaves the
 * rollback out. The store failure and its probe are every runtime's.
 */
import { SdkError } from '../errors.js'
import type { Context } from './context.js'
import { sendFailed, setTimer, warning } from './context.js'
import { pump } from './sync.js'
import type { DeviceAction, DeviceInput, DeviceStateTag, OpId } from './types.js'

/** Meta key the probe writes (and deletes): any write tells whether the store accepts them. */
export const META_PROBE = 'astarte.storeProbe'

// doubling stops here: 2^20 times the minimum delay is past any sane maximum
const MAX_DOUBLINGS = 20

/** What the inputs of the store transaction under way did that rests on its writes. */
export interface TxRecord {
  /** The action lists of its inputs, in order (that of an input that threw, as far as it got). */
  readonly outs: DeviceAction[][]
  /** Sends completed by a write of the transaction: a `stored` row, a property. */
  readonly durable: Set<OpId>
  propertyWritten: boolean
  /** A server property was cached or unset (see `serverPropertyWritten`). */
  serverPropertyWritten: boolean
  /** The transaction carries a store probe. */
  probe: boolean
  /** The input a port failed under; the transaction must roll back. */
  failed: { readonly input: DeviceInput; readonly error: SdkError } | undefined
  readonly floor: number | undefined
  readonly floorPending: boolean
}

/** The store can't write. */
export interface StoreFailure {
  readonly error: SdkError
  /** Probes made so far: the delay to the next doubles with each. */
  attempt: number
  probeTimerId: string | undefined
  failedTransactions: number
  /** Server properties were received and not cached: a full sync fetches them again. */
  serverPropertiesLost: boolean
}

/**
 * Whether a port's throw refuses one input and changes nothing (a bounded queue's `reject-new`
 * policy, spec §3.9) rather than leaving a store write half done.
 */
export function isRefusal(error: unknown): boolean {
  return error instanceof SdkError && error.code === 'local.store_full'
}

/** A server property is written: its transport acknowledged it, it is lost if this rolls back. */
export function serverPropertyWritten(ctx: Context): void {
  if (ctx.tx !== undefined) ctx.tx.serverPropertyWritten = true
}

function recovered(ctx: Context, failure: StoreFailure, state: DeviceStateTag): DeviceAction[] {
  ctx.storeFailure = undefined
  const details = { failedTransactions: failure.failedTransactions }
  const out = [
    warning(ctx, 'the store accepts writes again: stored messages flow', details, 'info'),
  ]
  if (failure.serverPropertiesLost && connectionUp(state, undefined)) {
    out.push({ type: 'mqtt.disconnect' })
  }
  return out
}

function settles(actions: readonly DeviceAction[][], opId: OpId): boolean {
  for (const out of actions) {
    for (const a of out) {
      if (a.type !== 'event') continue
      const e = a.event
      if ((e.type === 'sendCompleted' || e.type === 'sendFailed') && e.opId === opId) return true
    }
  }
  return false
}

// whether a connection is up (or coming up with the input that failed) to be replaced
function connectionUp(state: DeviceStateTag, failed: DeviceInput | undefined): boolean {
  if (state === 'syncing' || state === 'online') return true
  return state === 'connecting' && failed?.type === 'mqtt.connected'
}

/**
 * A port threw outside any transaction: the writes made before stand. The store can't be
 * trusted to write: the actions made so far are kept, and `input`, a send, fails unless it
 * already has its outcome.
 */
export function portFailedAlone(
  ctx: Context,
  input: DeviceInput,
  error: SdkError,
  state: DeviceStateTag,
  nowMs: number,
): void {
  ctx.resync = true
  failedUnder(ctx, ctx.out, [ctx.out], { input, error }, false, error, state, nowMs)
}

/**
 * Appends to `out` what follows a port failing under `failed` (if it failed under an input):
 * that input, a send, fails unless `outs` already settled it; the connection is replaced when
 * the sync is `stuck` or the input, not a send, may have stopped half way (a sync that never
 * ends: a new connection redoes it); then the store failure begins. Returns whether the
 * connection is replaced.
 */
function failedUnder(
  ctx: Context,
  out: DeviceAction[],
  outs: readonly DeviceAction[][],
  failed: TxRecord['failed'],
  stuck: boolean,
  error: SdkError,
  state: DeviceStateTag,
  nowMs: number,
): boolean {
  const input = failed?.input
  if (failed !== undefined && input?.type === 'send' && !settles(outs, input.opId)) {
    out.push(sendFailed(input.opId, failed.error))
  }
  const replaced =
    (stuck || (input !== undefined && input.type !== 'send')) && connectionUp(state, input)
  if (replaced) out.push({ type: 'mqtt.disconnect' })
  for (const action of failure(ctx, error, nowMs)) out.push(action)
  return replaced
}

// enters (or stays in) the store failure: stored rows wait, a probe is scheduled
function failure(ctx: Context, error: SdkError, nowMs: number): DeviceAction[] {
  const out: DeviceAction[] = []
  ctx.lastError = error
  ctx.outbox.holdStored(true)
  let f = ctx.storeFailure
  if (f === undefined) {
    f = {
      error,
      attempt: 0,
      probeTimerId: undefined,
      failedTransactions: 0,
      serverPropertiesLost: false,
    }
    ctx.storeFailure = f
    out.push(
      warning(ctx, "couldn't write the store: stored messages wait until it accepts writes again", {
        code: error.code,
        error: error.message,
      }),
    )
  }
  f.failedTransactions++
  if (f.probeTimerId === undefined) {
    const { minMs, maxMs } = ctx.backoff
    const delay = Math.min(maxMs, minMs * 2 ** Math.min(f.attempt, MAX_DOUBLINGS))
    f.attempt++
    f.probeTimerId = setTimer(ctx, 'storeProbe', nowMs + delay, out)
  }
  return out
}

/** Whether `timerId` is the store probe's. */
export function isProbeTimer(ctx: Context, timerId: string): boolean {
  return ctx.storeFailure !== undefined && ctx.storeFailure.probeTimerId === timerId
}

/**
 * The probe: writes what the store owes (removals of acknowledged rows) and a meta key, and lets
 * stored rows flow again, optimistically: a rollback of this transaction holds them again.
 * Outside a transaction, its writes returning is the proof; the recovery is told after the
 * publishes it lets go, where a committed transaction tells it (after its inputs' actions).
 */
export function probeStore(ctx: Context, state: DeviceStateTag, nowMs: number): void {
  const failure = ctx.storeFailure
  if (failure === undefined) return
  failure.probeTimerId = undefined
  ctx.outbox.retryRemovals()
  ctx.store.meta.set(META_PROBE, String(nowMs))
  ctx.store.meta.delete(META_PROBE)
  ctx.outbox.holdStored(false)
  pump(ctx, nowMs)
  if (ctx.tx !== undefined) ctx.tx.probe = true
  else for (const action of recovered(ctx, failure, state)) ctx.out.push(action)
}

/** The machine's half of store transactions: `DeviceConfig.storeTransactions`. */
export interface StoreTransactions {
  begin(ctx: Context): void
  committed(ctx: Context, state: DeviceStateTag): DeviceAction[]
  failed(ctx: Context, error: SdkError, state: DeviceStateTag, nowMs: number): DeviceAction[]
}

/** Group commit and its rollback (see the module), for a store with a `batch`. */
export const storeTransactions: StoreTransactions = {
  begin(ctx) {
    ctx.tx = {
      outs: [],
      durable: new Set(),
      propertyWritten: false,
      serverPropertyWritten: false,
      probe: false,
      failed: undefined,
      floor: ctx.propertyReplayFloor,
      floorPending: ctx.floorPending,
    }
    ctx.outbox.begin()
  },

  /** The transaction committed; when it carried a successful probe, the store writes again. */
  committed(ctx, state) {
    const tx = ctx.tx
    ctx.tx = undefined
    ctx.outbox.commit()
    const failure = ctx.storeFailure
    if (tx?.probe !== true || failure === undefined || ctx.outbox.storedHeld) return []
    return recovered(ctx, failure, state)
  },

  /**
   * The transaction rolled back with `error`: undoes what rested on its writes (see the module)
   * and returns the actions of its inputs the runtime must still perform, in order, then those
   * of the store failure. `state` is the machine's state now.
   */
  failed(ctx, error, state, nowMs) {
    const tx = ctx.tx
    ctx.tx = undefined
    const { outbox } = ctx
    outbox.rolledBack()
    ctx.resync = true
    if (tx === undefined) return failure(ctx, error, nowMs)
    ctx.propertyReplayFloor = tx.floor
    ctx.floorPending = tx.floorPending
    const kept: DeviceAction[] = []
    let withheldControl = false
    for (const out of tx.outs) {
      for (const action of out) {
        if (action.type === 'mqtt.publish') {
          const withheld = outbox.withhold(action.publishId, tx.propertyWritten)
          if (withheld === undefined) kept.push(action)
          if (withheld === 'control') withheldControl = true
          continue
        }
        const e = action.type === 'event' ? action.event : undefined
        if (e?.type === 'sendCompleted' && tx.durable.has(e.opId)) {
          kept.push(sendFailed(e.opId, error))
          continue
        }
        kept.push(action)
      }
    }
    // a withheld sync step leaves the sync unfinished: a new connection runs it again; and
    // its full sync fetches the server properties lost here, as it does without transactions
    const replaced = failedUnder(
      ctx,
      kept,
      tx.outs,
      tx.failed,
      withheldControl,
      error,
      state,
      nowMs,
    )
    if (tx.serverPropertyWritten && !replaced && ctx.storeFailure !== undefined) {
      ctx.storeFailure.serverPropertiesLost = true
    }
    return kept
  },
}
