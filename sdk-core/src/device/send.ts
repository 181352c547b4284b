/**
 * @module device send: turns a validated value into a publish according to its retention
 * (spec §3.9) and QoS (spec §3.5). When `sendCompleted` follows:
 * - properties (always stored) and `stored` datastreams: once durably queued — delivery is then
 *   the queue's job, across reconnects and restarts;
 * - `volatile` datastreams: once queued in memory — delivered unless expired or the process ends;
 * - `discard` datastreams: once acknowledged (QoS 1, 2) or written (QoS 0); while offline, or if
 *   the connection drops first, `sendFailed` (`local.offline_discarded`, `local.connection_lost`).
 * A property set to the value already cached is not re-published (spec §3.8: legal but wasteful).
 */
import { SdkError, assertNever } from '../errors.js'
import type { Interface, Mapping } from '../interface/model.js'
import type { NewQueuedMessage } from '../ports.js'
import { sameBytes } from '../same-bytes.js'
import { payloadTooLarge } from '../protocol/message-size.js'
import { decideRetention, expiresAt, retentionOf } from '../protocol/retention.js'
import { qosFor } from '../protocol/qos.js'
import { encodePayload } from '../value/payload-encode.js'
import type { Validated } from '../value/types.js'
import type { Context } from './context.js'
import { emit, sendFailed } from './context.js'
import { META_SYNCED, pump } from './sync.js'
import type { DeviceState } from './state.js'
import type { In } from './transitions.js'
import type { OpId } from './types.js'

function enqueue(ctx: Context, queue: 'stored' | 'volatile', message: NewQueuedMessage): void {
  if (queue === 'volatile') {
    ctx.outbox.enqueue(queue, message)
    return
  }
  const stored = ctx.store.storedQueue
  const before = stored.count()
  const { id } = ctx.outbox.enqueue(queue, message)
  // a bounded store made room by evicting older messages (its overflow policy): property
  // changes may be among them, lost for Astarte on a present session; the cache still holds
  // them, so the next connection runs a full sync, which re-publishes them with the purge list
  if (stored.count() <= before) ctx.store.meta.delete(META_SYNCED)
  // the first stored id after a full sync's plan: property values below it were superseded
  if (ctx.floorPending) {
    ctx.floorPending = false
    ctx.propertyReplayFloor = id
  }
}

// properties: the cache is the truth Astarte is brought to; every change is queued durably.
// Returns whether it wrote the store.
function sendProperty(
  ctx: Context,
  iface: Interface,
  data: Validated,
  payload: Uint8Array,
  nowMs: number,
): boolean {
  const { name: interfaceName, major } = iface
  const { path } = data
  const topic = ctx.topics.topic(interfaceName, path)
  const cached = ctx.store.properties.get(interfaceName, path)
  const current = cached !== undefined && cached.major === major ? cached : undefined
  const unset = data.kind === 'unset'
  if (unset ? current === undefined : current !== undefined && sameBytes(current.payload, payload))
    return false
  // queued before the cache changes: a queue refusing it (full) must leave the cache as it was,
  // or a later set of the same value would be skipped as unchanged and never reach Astarte
  enqueue(ctx, 'stored', { topic, payload, qos: 2, expiresMs: null, createdMs: nowMs })
  if (unset) ctx.store.properties.delete(interfaceName, path)
  else ctx.store.properties.set({ interfaceName, major, path, ownership: 'device', payload })
  return true
}

/** The mapping of `iface` that rules a send of `data` (an object's: its interface's first). */
export const mappingOf = (iface: Interface, data: Validated): Mapping | undefined =>
  data.kind === 'object' ? iface.mappings[0] : data.mapping

/** Whether handling a send of `data` writes the store: properties and `stored` datastreams. */
export function sendWritesStore(data: Validated): boolean {
  return retentionOf(data.iface, mappingOf(data.iface, data)) === 'stored'
}

// the interface `data` was validated against, if the device still owns it in that major
export function ownedInterface(ctx: Context, data: Validated): Interface | undefined {
  const iface = ctx.interfaces.get(data.iface.name)
  if (iface === undefined || iface.major !== data.iface.major) return undefined
  return iface.ownership === 'device' ? iface : undefined
}

/** Handles `send` in any state. */
export function handleSend(
  ctx: Context,
  state: DeviceState,
  input: In<'send'>,
  nowMs: number,
): DeviceState {
  const { opId, data } = input
  const iface = ownedInterface(ctx, data)
  if (iface === undefined) {
    const { name: interfaceName, major } = data.iface
    const error = new SdkError(
      'local.unknown_interface',
      "couldn't send on an interface the device does not own",
      { ctx: { interfaceName, major } },
    )
    ctx.out.push(sendFailed(opId, error))
    return state
  }
  // spec §2.3: above the broker's max_message_size Astarte would drop it, or the connection
  const payload = encodePayload(data)
  if (payload.length > ctx.maxPayloadBytes) {
    const error = payloadTooLarge(iface.name, data.path, payload.length, ctx.maxPayloadBytes)
    ctx.out.push(sendFailed(opId, error))
    return state
  }
  if (iface.type === 'properties') {
    // a store transaction that rolls back fails this send (see `store-transaction.ts`)
    if (sendProperty(ctx, iface, data, payload, nowMs) && ctx.tx !== undefined) {
      ctx.tx.durable.add(opId)
      ctx.tx.propertyWritten = true
    }
    emit(ctx, { type: 'sendCompleted', opId })
    pump(ctx, nowMs)
    return state
  }
  const mapping = mappingOf(iface, data)
  const topic = ctx.topics.topic(iface.name, data.path)
  const qos = qosFor(iface, mapping)
  const decision = decideRetention(
    iface,
    mapping,
    state.tag === 'syncing' || state.tag === 'online',
  )
  switch (decision.type) {
    case 'queueStored':
    case 'queueVolatile': {
      const queue = decision.type === 'queueStored' ? 'stored' : 'volatile'
      const expiresMs = expiresAt(mapping, nowMs)
      enqueue(ctx, queue, { topic, payload, qos, expiresMs, createdMs: nowMs })
      if (queue === 'stored') ctx.tx?.durable.add(opId)
      emit(ctx, { type: 'sendCompleted', opId })
      break
    }
    case 'publish':
      ctx.outbox.direct({ source: 'direct', topic, payload, qos, opId, createdMs: nowMs })
      break
    case 'drop':
      ctx.counters.dropped++
      ctx.out.push(
        sendFailed(
          opId,
          new SdkError(
            'local.offline_discarded',
            "couldn't send while offline: the mapping's retention is discard",
            { ctx: { interfaceName: iface.name, path: data.path } },
          ),
        ),
      )
      return state
    default:
      assertNever(decision)
  }
  pump(ctx, nowMs)
  return state
}
