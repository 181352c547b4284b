/**
 * @module device sync: what follows CONNACK (spec §3.4). A full sync runs when the session is
 * not present, the introspection differs from the last one Astarte acknowledged, or the synced
 * marker is missing; otherwise queued data just flows.
 */
import type { QueuedMessage } from '../ports.js'
import { encodeIntrospection } from '../protocol/introspection.js'
import { fullSyncPlan, interfacesToSubscribe, staleFilters } from '../protocol/sync-plan.js'
import { parseServerTopic } from '../protocol/topics.js'
import { decodePayload } from '../value/payload-decode.js'
import type { Context } from './context.js'
import { emit, nextId, sendFailed, setTimer } from './context.js'
import { drainProgress } from './drain.js'
import type { QueueName } from './outbox.js'
import type { DeviceState } from './state.js'
import type { Online } from './states/online.js'
import type { Syncing } from './states/syncing.js'
import type { In } from './transitions.js'

/** Meta keys (`Store.meta`). */
export const META_INTROSPECTION = 'astarte.introspection'
export const META_SYNCED = 'astarte.synced'

export function currentIntrospection(ctx: Context): string {
  return encodeIntrospection([...ctx.interfaces.values()])
}

/**
 * Whether a queued message must not be sent: its interface left the introspection, it no longer
 * fits the interface's current version, or it is a property value a full sync already
 * re-published from the cache.
 */
export function isObsolete(ctx: Context, message: QueuedMessage, queue: QueueName): boolean {
  const topic = parseServerTopic(ctx.prefix, message.topic)
  if (topic.type !== 'data') return true
  const iface = ctx.interfaces.get(topic.interfaceName)
  const floor = ctx.propertyReplayFloor
  const superseded = ctx.floorPending || (floor !== undefined && message.id < floor)
  return (
    iface === undefined ||
    (queue === 'stored' && iface.type === 'properties' && superseded) ||
    // queued for another version of the interface (a major changed since, even across a
    // restart): what no longer fits the current one would cost a forced disconnect, with the
    // session wiped, and replay after every reconnect (spec §3.3, §3.10)
    iface.ownership !== 'device' ||
    !decodePayload(iface, topic.path, message.payload).ok
  )
}

/** Fills the publish window. */
export function pump(ctx: Context, nowMs: number): void {
  ctx.outbox.pump(nowMs, ctx.obsolete, ctx.out)
}

export function onConnected(
  ctx: Context,
  _state: DeviceState,
  { sessionPresent, resumed = [] }: In<'mqtt.connected'>,
  nowMs: number,
): DeviceState {
  if (ctx.everConnected) ctx.counters.reconnects++
  ctx.outbox.connected(resumed)
  ctx.everConnected = true
  emit(ctx, { type: 'connected', sessionPresent })
  const meta = ctx.store.meta
  const synced =
    !ctx.resync &&
    sessionPresent &&
    meta.get(META_SYNCED) === '1' &&
    meta.get(META_INTROSPECTION) === currentIntrospection(ctx)
  if (synced) return goOnline(ctx, nowMs)
  // a crash mid-sync must not look synced on the next connect
  meta.delete(META_SYNCED)
  const interfaces = [...ctx.interfaces.values()]
  // a present session still holds the filters of interfaces removed while offline (spec §3.3)
  const stale = sessionPresent
    ? staleFilters(ctx.prefix, meta.get(META_INTROSPECTION), interfaces)
    : []
  if (stale.length > 0) ctx.out.push({ type: 'mqtt.unsubscribe', filters: stale })
  const requestId = nextId(ctx, 'subscribe')
  const filters = interfacesToSubscribe(ctx.prefix, interfaces)
  ctx.out.push({ type: 'mqtt.subscribe', requestId, filters, qos: 2 })
  return { tag: 'syncing', phase: { step: 'subscribing', requestId } }
}

/** The suback arrived: now Astarte's answer to emptyCache can't be lost; publish the rest. */
export function onSyncSubscribed(
  ctx: Context,
  state: Syncing,
  { requestId }: In<'mqtt.subscribed'>,
  nowMs: number,
): DeviceState {
  if (state.phase.step !== 'subscribing' || state.phase.requestId !== requestId) return state
  const interfaces = [...ctx.interfaces.values()]
  const steps = fullSyncPlan({
    prefix: ctx.prefix,
    interfaces,
    properties: ctx.store.properties,
    inflater: ctx.inflater,
    purgeFormat: ctx.purgeFormat,
  })
  let remaining = 0
  for (const step of steps) {
    if (step.type !== 'publish') continue
    const { topic, payload, qos } = step
    ctx.outbox.control({ source: 'control', topic, payload, qos, tag: { type: 'syncStep' } })
    remaining++
  }
  ctx.floorPending = true
  ctx.propertyReplayFloor = undefined
  pump(ctx, nowMs)
  const introspection = encodeIntrospection(interfaces)
  return { tag: 'syncing', phase: { step: 'publishing', remaining, introspection } }
}

export function goOnline(ctx: Context, nowMs: number): Online {
  ctx.outbox.release()
  emit(ctx, { type: 'synced' })
  const stableTimerId = setTimer(ctx, 'stable', nowMs + ctx.stableAfterMs)
  pump(ctx, nowMs)
  return { tag: 'online', stableTimerId }
}

// a sync publish was acknowledged: the sync completes with the last one
function syncStepAcked(ctx: Context, state: Syncing, nowMs: number): DeviceState {
  const { phase } = state
  if (phase.step !== 'publishing') return state
  if (phase.remaining > 1) return { ...state, phase: { ...phase, remaining: phase.remaining - 1 } }
  ctx.store.meta.set(META_INTROSPECTION, phase.introspection)
  ctx.store.meta.set(META_SYNCED, '1')
  ctx.resync = false
  return goOnline(ctx, nowMs)
}

/** An acknowledgement while connected. */
export function onPublished(
  ctx: Context,
  state: Syncing | Online,
  { publishId }: In<'mqtt.published'>,
  nowMs: number,
): DeviceState {
  const acked = ctx.outbox.acked(publishId)
  let next: DeviceState = state
  if (acked?.source === 'direct') emit(ctx, { type: 'sendCompleted', opId: acked.opId })
  else if (acked?.source === 'control') {
    const { tag } = acked
    if (tag.type === 'introspection') ctx.store.meta.set(META_INTROSPECTION, tag.text)
    else if (state.tag === 'syncing') next = syncStepAcked(ctx, state, nowMs)
  }
  drainProgress(ctx)
  pump(ctx, nowMs)
  return next
}

/** A publish failed on a live connection. */
export function onPublishFailed(
  ctx: Context,
  state: DeviceState,
  { publishId, error }: In<'mqtt.publishFailed'>,
  nowMs: number,
): DeviceState {
  const failed = ctx.outbox.failed(publishId)
  ctx.lastError = error
  if (failed?.source === 'direct') ctx.out.push(sendFailed(failed.opId, error))
  if (failed?.source === 'control') {
    // Astarte may have missed part of the sync: force a full one on a fresh connection
    ctx.store.meta.delete(META_SYNCED)
    ctx.out.push({ type: 'mqtt.disconnect' })
  } else pump(ctx, nowMs)
  return state
}
