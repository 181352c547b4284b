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
import type { Interface } from '../interface/model.js'
import { dataTopic } from '../protocol/topics.js'
import { decideRetention, expiresAt } from '../protocol/retention.js'
import { qosFor } from '../protocol/qos.js'
import { encodePayload } from '../value/payload-encode.js'
import type { Validated } from '../value/types.js'
import type { Context } from './context.js'
import { emit } from './context.js'
import { pump } from './sync.js'
import type { OpId } from './types.js'

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function enqueueStored(ctx: Context, topic: string, payload: Uint8Array, qos: 0 | 1 | 2, nowMs: number, expiresMs: number | null): void {
  const queued = ctx.outbox.enqueue('stored', { topic, payload, qos, createdMs: nowMs, expiresMs })
  if (ctx.floorPending) {
    ctx.floorPending = false
    ctx.propertyReplayFloor = queued.id
  }
}

// properties: the cache is the truth Astarte is brought to; every change is queued durably
function sendProperty(ctx: Context, iface: Interface, data: Validated, nowMs: number): void {
  const topic = dataTopic(ctx.prefix, iface.name, data.path)
  const cached = ctx.store.properties.get(iface.name, data.path)
  const current = cached !== undefined && cached.major === iface.major ? cached : undefined
  if (data.kind === 'unset') {
    if (current === undefined) return
    ctx.store.properties.delete(iface.name, data.path)
    enqueueStored(ctx, topic, new Uint8Array(0), 2, nowMs, null)
    return
  }
  const payload = encodePayload(data)
  if (current !== undefined && sameBytes(current.payload, payload)) return
  ctx.store.properties.set({ interfaceName: iface.name, major: iface.major, path: data.path, ownership: 'device', payload })
  enqueueStored(ctx, topic, payload, 2, nowMs, null)
}

/** Handles `send`; `connected` is true while syncing or online. */
export function handleSend(ctx: Context, opId: OpId, data: Validated, connected: boolean, nowMs: number): void {
  const iface = ctx.interfaces.get(data.iface.name)
  if (iface === undefined || iface.major !== data.iface.major || iface.ownership !== 'device') {
    const error = new SdkError('local.unknown_interface', "couldn't send on an interface the device does not own", {
      ctx: { interfaceName: data.iface.name, major: data.iface.major },
    })
    emit(ctx, { type: 'sendFailed', opId, error })
    return
  }
  if (iface.type === 'properties') {
    sendProperty(ctx, iface, data, nowMs)
    emit(ctx, { type: 'sendCompleted', opId })
    pump(ctx, nowMs)
    return
  }
  const mapping = data.kind === 'object' ? iface.mappings[0] : data.mapping
  const topic = dataTopic(ctx.prefix, iface.name, data.path)
  const qos = qosFor(iface, mapping)
  const decision = decideRetention(iface, mapping, connected)
  switch (decision.type) {
    case 'queueStored':
      enqueueStored(ctx, topic, encodePayload(data), qos, nowMs, expiresAt(mapping, nowMs))
      emit(ctx, { type: 'sendCompleted', opId })
      break
    case 'queueVolatile':
      ctx.outbox.enqueue('volatile', { topic, payload: encodePayload(data), qos, createdMs: nowMs, expiresMs: expiresAt(mapping, nowMs) })
      emit(ctx, { type: 'sendCompleted', opId })
      break
    case 'publish':
      ctx.outbox.direct({ topic, payload: encodePayload(data), qos, opId, createdMs: nowMs })
      break
    case 'drop':
      ctx.counters.dropped++
      emit(ctx, {
        type: 'sendFailed',
        opId,
        error: new SdkError('local.offline_discarded', "couldn't send while offline: the mapping's retention is discard", {
          ctx: { interfaceName: iface.name, path: data.path },
        }),
      })
      return
    default:
      assertNever(decision)
  }
  pump(ctx, nowMs)
}
